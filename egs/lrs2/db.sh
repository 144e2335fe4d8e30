# Where the corpora are on this machine. LRS2 is licensed by its authors (VGG, Oxford): request
# access on their page, download, and point LRS2 at the folder holding main/ pretrain/ and the file lists.
LRS2=${LRS2:-/path/to/LRS2}
