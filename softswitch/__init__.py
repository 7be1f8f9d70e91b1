"""omniplan-switch: our embedded P4Runtime v1 target (a software switch).

It exists so the controller can be developed, tested and benchmarked against a real gRPC
P4Runtime server without BMv2: the control plane enforces the pushed P4Info like PI/BMv2 do,
and the data plane runs the Python pipeline twin (p4src.pipeline) when the pushed program is ours.
"""
