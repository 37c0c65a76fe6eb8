"""The project's own test configuration: real registry servers for the tests."""

pytest_plugins = ["tests.servers"]
