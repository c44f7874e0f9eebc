"""Chinese input formats with ISO dates first.

Django renders a DateInput's value in the first of DATE_INPUT_FORMATS; Chinese puts "%Y/%m/%d" first, which an
<input type="date"> rejects, so every date field with a value (today's date as the initial, a form shown again
after an error) looked empty in Chinese. The other Chinese spellings are still accepted when typed.
"""

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%n月%j日"]
