"""Demo data for counselling, one module per area. `STEPS` is the order they run in: portal.demo.seed_demo
runs the core step, then each app's `STEPS` in INSTALLED_APPS order. Screening comes after the crisis step
(its positive screens raise reports into the queue the crisis step fills)."""

from counseling.demo import activities, appointments, crisis, postvention, screening, session_notes

STEPS = (
    activities.seed_activities,
    appointments.seed_appointments,
    crisis.seed_counselling,
    screening.seed_screening,
    postvention.seed_postvention,
    session_notes.seed_session_notes,  # last: adds rows, draws nothing from the shared random order
)
