"""The flow suite's fixtures: these tests drive the same buyer journeys against the sandbox."""

from tests.flows.conftest import Flow, calls, flow

__all__ = ["Flow", "calls", "flow"]
