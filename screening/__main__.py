"""`python -m screening …` runs the `dualuse` command line (useful from a source checkout)."""

from screening.cli import main

if __name__ == "__main__":
    main()
