"""Deal Scout's Streamlit dashboard."""
