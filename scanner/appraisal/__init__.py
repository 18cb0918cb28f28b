"""Judging a listing's price: what product it is, whether it is junk, what comparable listings
cost, and the verdict. Pure functions of listings and their comparables — no database, no
network — so the scan pipeline and `python -m scanner appraise` judge with the same code."""
