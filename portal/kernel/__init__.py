"""The shared kernel: the infrastructure every app uses, written once here. No app keeps a copy of any of it;
apps import these modules (the import rules in portal/tests/test_import_rules.py keep the old homes,
portal.uploads and portal.spreadsheets, from coming back).

- `files`: every uploaded file checked by its content (documents, PDFs, images), the one image pixel limit
  (settings.UPLOAD_MAX_IMAGE_PIXELS), random private storage names.
- `spreadsheets`: reading uploaded tables (CSV in UTF-8/GBK/UTF-16, XLSX) and writing exports so that no text
  a user typed ever runs as a formula.
- `dates`: month arithmetic and working days (weekends and portal.Holiday).
- `request_context`: what the current request is (request id, client address, signed-in user), for the audit
  trail, logs and services, bound by portal.middleware.
- `workflow`: status workflows declared once beside their model (moves, permissions, locking, timeline, audit).
- `display`: how a stored code (status, level, tier, role, choice) and a person are shown: by label, by name.
- `form_marks`: which form fields a page marks as required (`mark_required` for fields checked in `clean()`).

The kernel imports nothing of the apps (counseling, aid, homevisits).
"""
