"""The development data folder for scripts: a folder given on the command line, or $XRDID_DATA/SUB."""
import os
import sys


def data_folder(given, sub, prog):
    """`given` when not None, else $XRDID_DATA/sub; exits with one clear message when neither is a folder."""
    if given is not None:
        path = given
    elif os.environ.get("XRDID_DATA"):
        path = os.path.join(os.environ["XRDID_DATA"], sub)
    else:
        sys.exit(f"{prog}: give the {sub} folder, or set XRDID_DATA to the development data folder "
                 "(with cif/ and measured/)")
    if not os.path.isdir(path):
        sys.exit(f"{prog}: {path} is not a folder")
    return path
