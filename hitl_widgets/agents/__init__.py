"""Agents that act: hold an agent's risky tool calls for a person, let safe ones through,
and keep every decision and override in the store (as training data).

* `Gate`: the policies, thresholds, audits and timeouts a tool call passes; `@gate.tool`
  gates a plain Python function; `gate.queue()` is the live approval queue.
* `run_in_background`: run the agent on a thread of its own, so the notebook stays free
  to decide its held calls.
* Adapters for agent frameworks: `hitl_widgets.agents.langgraph`,
  `hitl_widgets.agents.pydantic_ai`.
"""

from .background import AgentRun, run_in_background
from .gate import Gate, GateError, GateOnMainThreadError, ToolCallRejected, Verdict

__all__ = [
    "AgentRun",
    "Gate",
    "GateError",
    "GateOnMainThreadError",
    "ToolCallRejected",
    "Verdict",
    "run_in_background",
]
