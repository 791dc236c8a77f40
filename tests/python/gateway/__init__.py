"""End-to-end tests of bedrock-gateway with the official openai SDK (a package, so its
test module names never clash with the other suites under tests/python)."""
