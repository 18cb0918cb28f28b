"""Deal Scout's model layer, shared by the dashboard and the worker."""
