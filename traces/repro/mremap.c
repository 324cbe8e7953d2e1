		/* mremap: .arg packs the flags and the new range (MREMAP_ARG). */
		case OP_MREMAP: {
			int fl = c.arg & 0xff, to = (c.arg >> 8) & 0xff, toend = (c.arg >> 16) & 0xff;
			void *na = (void *)(BASE + to * pagesize);
			void *want = fl & MREMAP_FIXED ? na : addr;
			void *r = mremap(addr, len, (size_t)(toend - to) * pagesize, fl, na);

			a.ret = r == MAP_FAILED ? -errno : r == want ? 0 : -EADDRNOTAVAIL;
			break;
		}
