"""Deal Scout's background side: the queue, the scans, the alerts and the command line."""
