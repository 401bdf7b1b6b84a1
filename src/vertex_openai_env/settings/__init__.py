"""Where requests go: project, location and target from flags, environment and gcloud's files.

`place` resolves them (with where each came from), `urls` checks identifiers and builds the
base URL, `regions` knows the regions, `gcloud_config` reads gcloud's own files.
"""
