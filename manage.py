#!/usr/bin/env python
from adolat.manage import main

if __name__ == "__main__":
    main()
