"""factdb: a fact-tracking database for sanctions and contested claims."""

__version__ = "0.1.0"
