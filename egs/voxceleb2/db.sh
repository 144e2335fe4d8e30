# VoxCeleb2 (test videos; no transcripts: each clip is paired with a random LRS3 test sentence,
# as in the paper's evaluation) and LRS3 (for those sentences).
VOXCELEB2=${VOXCELEB2:-/path/to/VoxCeleb2}
LRS3=${LRS3:-/path/to/LRS3}
