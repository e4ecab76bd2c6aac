//! The byte layout of a `.pfd`: serialising and parsing, either byte order.

use std::path::Path;

use super::{ByteOrder, FoldStats, OrbitParams, Pfd, Position};
use crate::error::{FormatError, FormatErrorKind, FormatResult};

impl Pfd {
    /// Serialises in PRESTO's layout, little-endian.
    pub fn to_bytes(&self) -> FormatResult<Vec<u8>> {
        self.to_bytes_ordered(ByteOrder::Little)
    }

    /// Serialises in PRESTO's layout with the given byte order.
    pub fn to_bytes_ordered(&self, order: ByteOrder) -> FormatResult<Vec<u8>> {
        let mem = Path::new("<pfd in memory>");
        self.check(mem)?;
        let mut w = Writer { out: Vec::new(), order };
        let count = |n: usize, what: &str| -> FormatResult<i32> {
            i32::try_from(n).map_err(|_| {
                FormatError::new(
                    mem,
                    FormatErrorKind::Inconsistent(format!("{what} = {n} does not fit a 32-bit count")),
                )
            })
        };
        for v in [
            count(self.dms.len(), "numdms")?,
            count(self.periods.len(), "numperiods")?,
            count(self.pdots.len(), "numpdots")?,
            count(self.nsub, "nsub")?,
            count(self.npart, "npart")?,
            count(self.proflen, "proflen")?,
            count(self.numchan, "numchan")?,
            self.pstep,
            self.pdstep,
            self.dmstep,
            self.ndmfact,
            self.npfact,
        ] {
            w.i32(v);
        }
        for s in [&self.filenm, &self.candnm, &self.telescope, &self.pgdev] {
            w.i32(count(s.len(), "string length")?);
            w.out.extend_from_slice(s.as_bytes());
        }
        for s in [&self.rastr, &self.decstr] {
            let mut field = [0u8; 16];
            let b = s.as_bytes();
            let n = b.len().min(15);
            field[..n].copy_from_slice(&b[..n]);
            w.out.extend_from_slice(&field);
        }
        for v in [
            self.dt,
            self.start_t,
            self.end_t,
            self.tepoch,
            self.bepoch,
            self.avgvoverc,
            self.lofreq,
            self.chan_wid,
            self.bestdm,
        ] {
            w.f64(v);
        }
        for p in [&self.topo, &self.bary, &self.fold] {
            w.f32(p.pow);
            w.out.extend_from_slice(&[0u8; 4]);
            w.f64(p.p1);
            w.f64(p.p2);
            w.f64(p.p3);
        }
        let o = &self.orb;
        for v in [o.p, o.e, o.x, o.w, o.t, o.pd, o.wd] {
            w.f64(v);
        }
        for arr in [&self.dms, &self.periods, &self.pdots, &self.rawfolds] {
            arr.iter().for_each(|&v| w.f64(v));
        }
        for s in &self.stats {
            s.to_array().iter().for_each(|&v| w.f64(v));
        }
        Ok(w.out)
    }

    /// Parses a `.pfd` file's bytes; `path` names the file in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> FormatResult<Self> {
        if bytes.len() < 20 {
            return Err(FormatError::new(
                path,
                FormatErrorKind::Truncated {
                    what: "the header counts".into(),
                    expected: 48,
                    found: bytes.len() as u64,
                },
            ));
        }
        let lead: Vec<i32> = bytes[..20]
            .chunks_exact(4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let order = if lead.iter().any(|v| v.unsigned_abs() > 100_000) {
            ByteOrder::Big
        } else {
            ByteOrder::Little
        };
        let mut r = Reader {
            bytes,
            pos: 0,
            order,
            path,
        };
        let mut ints = [0i32; 12];
        for v in ints.iter_mut() {
            *v = r.i32("the header counts")?;
        }
        let names = [
            "numdms",
            "numperiods",
            "numpdots",
            "nsub",
            "npart",
            "proflen",
            "numchan",
        ];
        for (name, &v) in names.iter().zip(&ints) {
            if !(0..=100_000_000).contains(&v) {
                return Err(FormatError::new(
                    path,
                    FormatErrorKind::BadKeyword {
                        key: (*name).into(),
                        value: v.to_string(),
                        reason: "not a plausible count (is this a .pfd file?)".into(),
                    },
                ));
            }
        }
        let [numdms, numperiods, numpdots, nsub, npart, proflen, numchan] =
            [0, 1, 2, 3, 4, 5, 6].map(|i| ints[i] as usize);
        // Check the whole size before allocating anything the counts ask for.
        let fixed_after_strings = 32 + 9 * 8 + 3 * 32 + 7 * 8;
        // Each count is at most 10⁸, so only the product of three can overflow:
        // in u128 none can.
        let cells = npart as u128 * nsub as u128;
        let arrays = (numdms + numperiods + numpdots) as u128 * 8 + cells * proflen as u128 * 8 + cells * 56;
        if (bytes.len() as u128) < 48 + fixed_after_strings as u128 + arrays {
            return Err(FormatError::new(
                path,
                FormatErrorKind::Truncated {
                    what: format!("{npart} parts × {nsub} subbands × {proflen} bins of folds"),
                    expected: u64::try_from(48 + 16 + fixed_after_strings as u128 + arrays).unwrap_or(u64::MAX),
                    found: bytes.len() as u64,
                },
            ));
        }
        let filenm = r.string("filenm")?;
        let candnm = r.string("candnm")?;
        let telescope = r.string("telescope")?;
        let pgdev = r.string("pgdev")?;
        let rastr = r.cstr16("rastr")?;
        let decstr = r.cstr16("decstr")?;
        let mut d9 = [0f64; 9];
        for v in d9.iter_mut() {
            *v = r.f64("the observation parameters")?;
        }
        let mut pos = [Position::default(); 3];
        for p in pos.iter_mut() {
            p.pow = r.f32("a position record")?;
            r.take(4, "a position record")?;
            p.p1 = r.f64("a position record")?;
            p.p2 = r.f64("a position record")?;
            p.p3 = r.f64("a position record")?;
        }
        let mut o = [0f64; 7];
        for v in o.iter_mut() {
            *v = r.f64("the orbit parameters")?;
        }
        let dms = r.f64s(numdms, "the trial DMs")?;
        let periods = r.f64s(numperiods, "the trial periods")?;
        let pdots = r.f64s(numpdots, "the trial period derivatives")?;
        let rawfolds = r.f64s(npart * nsub * proflen, "the folded profiles")?;
        let mut stats = Vec::with_capacity(npart * nsub);
        for _ in 0..npart * nsub {
            let mut a = [0f64; 7];
            for v in a.iter_mut() {
                *v = r.f64("the fold statistics")?;
            }
            stats.push(FoldStats::from_array(a));
        }
        Ok(Self {
            nsub,
            npart,
            proflen,
            numchan,
            pstep: ints[7],
            pdstep: ints[8],
            dmstep: ints[9],
            ndmfact: ints[10],
            npfact: ints[11],
            filenm,
            candnm,
            telescope,
            pgdev,
            rastr,
            decstr,
            dt: d9[0],
            start_t: d9[1],
            end_t: d9[2],
            tepoch: d9[3],
            bepoch: d9[4],
            avgvoverc: d9[5],
            lofreq: d9[6],
            chan_wid: d9[7],
            bestdm: d9[8],
            topo: pos[0],
            bary: pos[1],
            fold: pos[2],
            orb: OrbitParams {
                p: o[0],
                e: o[1],
                x: o[2],
                w: o[3],
                t: o[4],
                pd: o[5],
                wd: o[6],
            },
            dms,
            periods,
            pdots,
            rawfolds,
            stats,
            byte_order: order,
        })
    }
}

struct Writer {
    out: Vec<u8>,
    order: ByteOrder,
}

impl Writer {
    fn i32(&mut self, v: i32) {
        match self.order {
            ByteOrder::Little => self.out.extend_from_slice(&v.to_le_bytes()),
            ByteOrder::Big => self.out.extend_from_slice(&v.to_be_bytes()),
        }
    }
    fn f32(&mut self, v: f32) {
        match self.order {
            ByteOrder::Little => self.out.extend_from_slice(&v.to_le_bytes()),
            ByteOrder::Big => self.out.extend_from_slice(&v.to_be_bytes()),
        }
    }
    fn f64(&mut self, v: f64) {
        match self.order {
            ByteOrder::Little => self.out.extend_from_slice(&v.to_le_bytes()),
            ByteOrder::Big => self.out.extend_from_slice(&v.to_be_bytes()),
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    order: ByteOrder,
    path: &'a Path,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> FormatResult<&'a [u8]> {
        if self.bytes.len() - self.pos < n {
            return Err(FormatError::new(
                self.path,
                FormatErrorKind::Truncated {
                    what: what.to_string(),
                    expected: (self.pos + n) as u64,
                    found: self.bytes.len() as u64,
                },
            ));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &str) -> FormatResult<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        if self.order == ByteOrder::Big {
            a.reverse();
        }
        Ok(a)
    }

    fn i32(&mut self, what: &str) -> FormatResult<i32> {
        Ok(i32::from_le_bytes(self.array(what)?))
    }

    fn f32(&mut self, what: &str) -> FormatResult<f32> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }

    fn f64(&mut self, what: &str) -> FormatResult<f64> {
        Ok(f64::from_le_bytes(self.array(what)?))
    }

    fn f64s(&mut self, n: usize, what: &str) -> FormatResult<Vec<f64>> {
        (0..n).map(|_| self.f64(what)).collect()
    }

    fn string(&mut self, what: &str) -> FormatResult<String> {
        let n = self.i32(what)?;
        if n < 0 || n as usize > self.bytes.len() - self.pos {
            return Err(FormatError::new(
                self.path,
                FormatErrorKind::BadKeyword {
                    key: what.to_string(),
                    value: format!("length {n}"),
                    reason: "longer than the rest of the file".into(),
                },
            ));
        }
        Ok(String::from_utf8_lossy(self.take(n as usize, what)?).into_owned())
    }

    fn cstr16(&mut self, what: &str) -> FormatResult<String> {
        let b = self.take(16, what)?;
        let end = b.iter().position(|&c| c == 0).unwrap_or(16);
        Ok(String::from_utf8_lossy(&b[..end]).into_owned())
    }
}
