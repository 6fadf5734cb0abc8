"""Hand-written content used by ``scripts/demo_data/make_demo_data.py`` to build the demo data sets."""
