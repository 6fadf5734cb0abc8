"""Hand-written content used by ``_make_demo_data.py`` to build the demo data sets."""
