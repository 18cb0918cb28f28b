"""Pieces the pages share: formatting, the search form, the rescan control, charts, banners, sign-in."""
