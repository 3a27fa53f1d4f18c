//! The seed history. Each module is one seed document; every value a seed
//! does not give is marked `INVENTED` where it is made up.

pub(crate) mod budget;
mod cvl;
mod ile_de_france;
mod loir_et_cher;
mod occitanie;

pub use cvl::CVL;
pub use loir_et_cher::LOIR_ET_CHER;
pub use occitanie::OCCITANIE;

use crate::Step;

/// The whole seed history, in an order every context accepts.
pub fn seed_scenario() -> Vec<Step> {
    let mut steps = Vec::new();
    steps.extend(budget::with_budget("cvl", cvl::steps()));
    steps.extend(budget::with_budget("occitanie", occitanie::steps()));
    steps.extend(budget::with_budget("cd41", loir_et_cher::steps()));
    steps.extend(budget::with_budget("idf", ile_de_france::steps()));
    steps
}

/// A SIRET made valid (Luhn) from 13 digits. INVENTED: every SIRET of the
/// scenario is made up; real ones belong to real legal entities.
pub(crate) fn siret(first13: u64) -> String {
    let digits = format!("{:013}", first13 % 10_000_000_000_000);
    let sum = |s: &str| -> u32 {
        s.bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 1 {
                    let twice = d * 2;
                    twice / 10 + twice % 10
                } else {
                    d
                }
            })
            .sum()
    };
    let check = (0..10)
        .find(|c| sum(&format!("{digits}{c}")) % 10 == 0)
        .unwrap_or(0);
    format!("{digits}{check}")
}

/// Splits `total` cents into `n` shares that vary around the mean (by a
/// deterministic pattern) and add up to `total` exactly.
pub(crate) fn shares(total: i64, n: usize) -> Vec<i64> {
    let n_i = n as i64;
    let mean = total / n_i;
    // ±20% in 5 steps, in whole euros, paired so that they cancel out.
    let offsets: Vec<i64> = (0..n_i)
        .map(|i| {
            let step = (i / 2) % 5 - 2;
            let sign = if i % 2 == 0 { 1 } else { -1 };
            sign * step * (mean / 10 / 100) * 100
        })
        .collect();
    let mut shares: Vec<i64> = offsets.iter().map(|o| mean + o).collect();
    let rest = total - shares.iter().sum::<i64>();
    if let Some(last) = shares.last_mut() {
        *last += rest;
    }
    shares
}

/// `YYYY-MM-DD` of the `day` of the month `months` after January `year`.
pub(crate) fn month_day(year: i32, months: i32, day: u32) -> String {
    let y = year + months.div_euclid(12);
    let m = months.rem_euclid(12) + 1;
    format!("{y}-{m:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_sirets_pass_luhn_and_shares_add_up() {
        for n in [1, 42, 2141001820001] {
            let s = siret(n);
            assert_eq!(s.len(), 14);
            let total: u32 = s
                .bytes()
                .rev()
                .enumerate()
                .map(|(i, b)| {
                    let d = u32::from(b - b'0') * if i % 2 == 1 { 2 } else { 1 };
                    d / 10 + d % 10
                })
                .sum();
            assert_eq!(total % 10, 0, "{s}");
        }
        let s = shares(2_000_000_000, 125);
        assert_eq!(s.iter().sum::<i64>(), 2_000_000_000);
        assert!(s.iter().all(|&x| x > 1_000_000_000 / 125), "{s:?}");
        assert_eq!(month_day(2022, 10, 5), "2022-11-05");
        assert_eq!(month_day(2022, 14, 5), "2023-03-05");
    }
}
