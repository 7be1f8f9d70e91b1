"""OmniPlan's SDN controller service: northbound API, planning queue, P4Runtime southbound, durable store.

Modules, each with one job: ``store`` (SQLite state), ``config`` (switch list file),
``planning`` (text -> preference -> experts -> plan), ``realizer`` and ``twin``
(plan -> table entries, and their validation on the Python pipeline twin), ``deploy``
(make-before-break pushes), ``southbound`` (finsy P4Runtime connections), ``service`` (the
coordinator), ``intents`` (the lifecycle and queue; its helpers are listed in ``service``),
``network`` (switch and link health), ``api``/``openapi`` (HTTP), ``events`` (SSE bus, its
history kept in the store), ``metrics``.
"""
