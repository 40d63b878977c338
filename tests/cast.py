"""A cast of people with back pain, shared by the plan, handout and calendar tests.

Each is a case in the shared/spec format with every red flag answered "no" (as a real
interview would), plus the answers that make them who they are.
"""

from __future__ import annotations

from typing import Any

from backcoach.content.loader import load_catalog

RED_FLAGS = {f.id: "absent" for f in load_catalog().findings if f.red_flag}

CAST: dict[str, dict[str, Any]] = {
    "runner-after-half-marathon": {
        "age": 34,
        "sex": "male",
        "pain_intensity": 4,
        "duration_days": 2,
        "findings": {
            **RED_FLAGS,
            "pain_lower_back": "present",
            "runner": "present",
            "onset_delayed_after_exercise": "present",
            "recent_training_increase": "present",
            "muscles_tender_sore": "present",
            "pain_mechanical": "present",
            "pain_leg": "absent",
        },
    },
    "desk-worker-text-neck": {
        "age": 27,
        "sex": "female",
        "pain_intensity": 3,
        "duration_days": 20,
        "findings": {
            **RED_FLAGS,
            "pain_neck": "present",
            "pain_upper_back": "present",
            "pain_mechanical": "present",
            "desk_work_long_hours": "present",
            "looks_down_at_phone": "present",
            "pain_lower_back": "absent",
            "numbness_tingling_arm": "absent",
        },
    },
    "pregnant-pelvic-girdle-pain": {
        "age": 31,
        "sex": "female",
        "pain_intensity": 5,
        "duration_days": 21,
        "findings": {
            **RED_FLAGS,
            "pregnant": "present",
            "pain_lower_back": "present",
            "pain_buttock": "present",
            "pain_mechanical": "present",
        },
    },
    "older-man-osteoporosis": {
        "age": 71,
        "sex": "male",
        "pain_intensity": 3,
        "duration_days": 10,
        "findings": {
            **RED_FLAGS,
            "osteoporosis": "present",
            "pain_lower_back": "present",
            "pain_mechanical": "present",
            "history_of_back_pain": "present",
        },
    },
    "sciatica-one-leg": {
        "age": 45,
        "sex": "male",
        "pain_intensity": 6,
        "duration_days": 10,
        "findings": {
            **RED_FLAGS,
            "pain_lower_back": "present",
            "pain_leg": "present",
            "pain_leg_below_knee": "present",
            "numbness_tingling_leg": "absent",
            "onset_after_lifting_or_twisting": "present",
            "pain_mechanical": "present",
        },
    },
}
