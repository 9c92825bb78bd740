"""On-call: people, sites, rotas, labor profiles and rules, page plans, rota checks (docs/oncall.md)."""
