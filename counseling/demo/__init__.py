"""Demo data for counselling: each area registers its step with portal.demo.register_step on import."""

from counseling.demo import activities, appointments, crisis, screening  # noqa: F401
