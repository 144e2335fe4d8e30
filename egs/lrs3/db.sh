# Where the corpora are on this machine. LRS3 is licensed by its authors (VGG, Oxford): request
# access on their page, download, and point LRS3 at the folder holding pretrain/ trainval/ test/.
LRS3=${LRS3:-/path/to/LRS3}
