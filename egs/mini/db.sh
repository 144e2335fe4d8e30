# The mini corpus is generated offline by stage 1 (local/data.sh) in LRS3's format.
MINI=${MINI:-$(pwd)/db/mini}
