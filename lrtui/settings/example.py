"""``lrtui config example``: a sample config file (the tests check that it loads)."""

from __future__ import annotations

EXAMPLE = """\
default_profile = "contoso"

[ui]
theme = "lrtui-dark"
bulk_confirm_threshold = 20
glyphs = "auto"                   # auto | unicode | console (what a Linux console font shows; auto: TERM=linux, 16 colours)
[ui.keymap]
run-sequence = "ctrl+r,f5"

[profiles.contoso]
tenant_id = "00000000-0000-0000-0000-000000000000"
client_id = "11111111-1111-1111-1111-111111111111"
auth = "client_secret"            # client_secret | certificate | device_code | managed_identity | azure_cli | token
cloud = "commercial"              # commercial | gcc | gcc-high | dod
region = "eu"                     # optional regional host
# ca_bundle = "/etc/ssl/corp-ca.pem"  # a TLS-inspecting proxy's CA (added to the OS trust store)
comment_prefix = "analyst=jdoe case=IR-1234: "
[profiles.contoso.budgets]
rate_calls = 10
general_budget = "per-endpoint"   # each API its own 100/min and 1500/h; "shared" plans one budget for all
"""
