"""npm packages (SPEC §8): semver ranges, package.json reading and editing, lock staleness,
and the `npm` client. Each module is a leaf with a plain-data API."""
