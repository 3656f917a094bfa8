"""Policy profiles (data files) and the rating they define."""

from handsetguard.profiles.profile import BUILTIN_PROFILES, Profile, load_profile
from handsetguard.profiles.rating import Level, Rating, rate

__all__ = ["BUILTIN_PROFILES", "Level", "Profile", "Rating", "load_profile", "rate"]
