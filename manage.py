#!/usr/bin/env python
from careloop.cli import main

if __name__ == "__main__":
    main()
