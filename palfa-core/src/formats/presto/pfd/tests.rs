use super::*;

fn sample() -> Pfd {
    let mut p = Pfd::new(3, 2, 5);
    p.numchan = 8;
    p.filenm = "beam.fil".into();
    p.candnm = "Cand_1".into();
    p.telescope = "Arecibo".into();
    p.pgdev = "beam_Cand_1.pfd.ps/CPS".into();
    p.rastr = "19:13:12.0000".into();
    p.decstr = "10:54:00.0000".into();
    p.dt = 65.476e-6;
    p.tepoch = 60000.5;
    p.lofreq = 1214.0;
    p.chan_wid = 0.336;
    p.bestdm = 131.4;
    p.topo = Position {
        pow: 0.0,
        p1: 0.0041573,
        p2: -1e-12,
        p3: 0.0,
    };
    p.fold = Position {
        pow: 0.0,
        p1: 240.5,
        p2: 1e-10,
        p3: 0.0,
    };
    p.dms = vec![130.0, 131.0, 132.0];
    p.periods = vec![0.1, 0.2];
    p.pdots = vec![1e-12, 2e-12];
    for (i, v) in p.rawfolds.iter_mut().enumerate() {
        *v = i as f64 * 1.5;
    }
    for (i, s) in p.stats.iter_mut().enumerate() {
        s.numdata = 100.0 + i as f64;
        s.data_avg = 2.0;
        s.data_var = 0.5;
        s.numprof = 5.0;
        s.prof_avg = 40.0;
        s.prof_var = 10.0;
        s.redchi = 1.1;
    }
    p
}

#[test]
fn round_trip_both_byte_orders() {
    let p = sample();
    let le = p.to_bytes().unwrap();
    assert_eq!(Pfd::from_bytes(&le, Path::new("x")).unwrap(), p);
    let be = p.to_bytes_ordered(ByteOrder::Big).unwrap();
    assert_ne!(le, be);
    let back = Pfd::from_bytes(&be, Path::new("x")).unwrap();
    assert_eq!(back.byte_order, ByteOrder::Big);
    assert_eq!(
        Pfd {
            byte_order: ByteOrder::Little,
            ..back
        },
        p
    );
    // Layout size: 48 + strings + 32 + 72 + 96 + 56 + arrays.
    let strings: usize = [&p.filenm, &p.candnm, &p.telescope, &p.pgdev]
        .iter()
        .map(|s| 4 + s.len())
        .sum();
    assert_eq!(
        le.len(),
        48 + strings + 32 + 72 + 96 + 56 + (3 + 2 + 2 + 30) * 8 + 6 * 56
    );
}

#[test]
fn truncated_and_garbage_files_are_refused() {
    let bytes = sample().to_bytes().unwrap();
    for cut in [0, 10, 47, 100, bytes.len() - 1] {
        assert!(Pfd::from_bytes(&bytes[..cut], Path::new("x")).is_err(), "cut at {cut}");
    }
    let mut bad = bytes.clone();
    bad[20..24].copy_from_slice(&(-5i32).to_le_bytes());
    assert!(Pfd::from_bytes(&bad, Path::new("x")).is_err());
    assert!(Pfd::from_bytes(&[0xff; 200], Path::new("x")).is_err());
}

#[test]
fn inconsistent_arrays_are_not_written() {
    let mut p = sample();
    p.rawfolds.pop();
    assert!(matches!(
        p.to_bytes().unwrap_err().kind,
        FormatErrorKind::Inconsistent(_)
    ));
}
