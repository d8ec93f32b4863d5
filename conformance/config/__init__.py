"""One run's configuration: the option table, `Settings` and the named profiles."""
