"""The `omniplan` command line: the top layer, above every stage it drives.

It sits outside the core package ``omniplan`` on purpose: the CLI imports every stage (intent,
experts, compiler, controller), while the stages import only the core model. Keeping the CLI here
keeps the data flow one way (intent -> preference -> experts -> plan -> tables -> switches).
"""
