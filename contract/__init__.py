"""The Flexie API contract as data: resources, operations and the spec built from them.

Everything else in the project (the mocked workspace, the conformance suite, the strategies)
reads its facts about the API from here, so a fact is written down once.
"""
