"""OmniPlan's SDN controller service: northbound API, planning queue, P4Runtime southbound, durable store.

Modules, each with one job: ``store`` (SQLite state), ``config`` (switch list file),
``planning`` (text -> preference -> experts -> plan), ``realizer`` and ``twin``
(plan -> table entries, and their validation on the Python pipeline twin), ``deploy``
(make-before-break pushes), ``southbound`` (finsy P4Runtime connections), ``service`` (the
lifecycle and queue), ``api``/``openapi`` (HTTP), ``events`` (SSE bus), ``metrics``.
"""
