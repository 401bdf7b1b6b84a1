"""Access tokens: what they are (`types`), where they come from (`registry` names each
source: `adc` through google-auth, `gcloud`), what was asked for (`request`), and the
`cache` that makes a second run free.
"""
