"""newsmon: a scheduled news monitor for China, Russia and the United States."""

__version__ = "0.1.0"
