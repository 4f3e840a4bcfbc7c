"""Second opinions: papcheck's verdicts and state counts checked by independent engines (SPIN and
Rumur, through checker.export) on the user's own spec.  May import the API, the engine and
checker.export; runs the peers as subprocesses in temporary directories and never prints."""
