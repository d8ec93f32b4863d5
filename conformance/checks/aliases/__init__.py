"""Verification of each account's custom-field aliases: the plan (what to check, and the results
matrix), the context an alias check is given, the checks, and the drivers that run them."""
