"""Demo data for aid, one module per area. `STEPS` is the order they run in: portal.demo.seed_demo runs the
core step, then each app's `STEPS` in INSTALLED_APPS order.

1. funds: programmes, funds and applications; creates the current academic year when there is none, and
   approved identifications for its applicants;
2. identification: the current and previous years, an identification in every state;
3. hidden aid: last month's canteen data and a batch under review (needs only the students);
4. five-aid: cases of the students identified by 1 and 2 (their awards count as money aid);
5. work-study: posts, and the students of the first five-aid cases placed on them.
"""

from aid.demo import fiveaid, funds, hiddenaid, identification, workstudy

STEPS = (
    funds.seed_funds,
    identification.seed_identification,
    hiddenaid.seed_hiddenaid,
    fiveaid.seed_fiveaid,
    workstudy.seed_workstudy,
)
