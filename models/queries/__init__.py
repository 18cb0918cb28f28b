"""Reads for the dashboard pages, health checks and benchmarks: one module per area, SQL
aggregation in the database, no SQL in the pages."""
