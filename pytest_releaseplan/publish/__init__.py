"""Publishing one package: the decision (decide), the eight steps (steps), the driver (run)."""
