"""Verification of each account's custom-field aliases: the plan and its checks."""
