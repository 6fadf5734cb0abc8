"""Watch the automated part: how wrong is what nobody checks, and is the input changing?

* `audit_error`: the audited error of the auto-accepted items per window, with a one-look
  Clopper-Pearson interval and a running anytime-valid confidence sequence
  (`beta_mixture_cs`) whose lower end raises a sequential alarm;
* `drift`: confidence, predicted-label mix and embeddings, reference against current;
* `expected_error`: the error the confidences predict if the model is calibrated;
* `alerts`: rules ``"<metric> <op> <number>"`` over the figures, window by window;
* `pause` / `resume` / `pause_state`: the switch that sends every item (and every agent
  call) of a task to a person, stored as an event (who, when, why) that every process
  sharing the store honours;
* `Monitor`: these with one store, task and setting, and `Monitor.report` (plotly);
* `MonitorWidget` (`Monitor.widget`): the figures live in a notebook, refreshed when the
  store changes (in any process), with the pause switch.

>>> from hitl_widgets.monitor import Monitor   # doctest: +SKIP
"""

from .alerts import METRICS, Rule, alerts, parse_rule
from .audit import audit_error, audits
from .drift import drift, mmd_test, psi
from .monitor import Monitor
from .stats import ExpectedError, beta_mixture_cs, expected_error
from .switch import PauseState, pause, pause_state, resume
from .widget import MonitorWidget

__all__ = [
    "METRICS",
    "ExpectedError",
    "Monitor",
    "MonitorWidget",
    "PauseState",
    "Rule",
    "alerts",
    "audit_error",
    "audits",
    "beta_mixture_cs",
    "drift",
    "expected_error",
    "mmd_test",
    "parse_rule",
    "pause",
    "pause_state",
    "psi",
    "resume",
]
