"""Entry point the engine runs for the policy pack; see `dezky.policy.pack`."""

from dezky.policy.pack import serve

serve()
