"""Emergency plans, drills with their follow-up actions, and cybersecurity incidents (第三十七条)."""
