//! Which chunks to merge: a page group downloads every chunk it needs, and each chunk costs a
//! fixed price on top of its bytes (its own file, request and loader entry). Merging two chunks
//! saves that price for every group needing both, and makes each group needing only one of them
//! download the other's bytes too. The plan merges, greedily and best first, while a merge makes
//! the bytes summed over all groups smaller.

/// One chunk: its size in bytes and the page groups needing it (bit `g` for group `g`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub size: u64,
    pub needed_by: u64,
}

/// What merging `a` and `b` changes in the bytes all groups download (negative: fewer).
fn gain(a: Chunk, b: Chunk, overhead: u64) -> i128 {
    let only_a = i128::from((a.needed_by & !b.needed_by).count_ones());
    let only_b = i128::from((b.needed_by & !a.needed_by).count_ones());
    let both = i128::from((a.needed_by & b.needed_by).count_ones());
    only_a * i128::from(b.size) + only_b * i128::from(a.size) - both * i128::from(overhead)
}

/// The chunks grouped into the modules to write: each inner list holds indexes into `chunks`,
/// in ascending order, and the lists are ordered by their first index. `overhead` is the fixed
/// price of one chunk, in the same unit as the sizes.
pub fn plan(chunks: &[Chunk], overhead: u64) -> Vec<Vec<usize>> {
    let mut clusters: Vec<(Chunk, Vec<usize>)> = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| (*c, vec![i]))
        .collect();
    loop {
        let mut best: Option<(i128, usize, usize)> = None;
        for i in 0..clusters.len() {
            for j in i + 1..clusters.len() {
                let g = gain(clusters[i].0, clusters[j].0, overhead);
                if g < 0 && best.is_none_or(|(b, _, _)| g < b) {
                    best = Some((g, i, j));
                }
            }
        }
        let Some((_, i, j)) = best else { break };
        let (merged, members) = clusters.swap_remove(j);
        let target = &mut clusters[i];
        target.0 = Chunk {
            size: target.0.size + merged.size,
            needed_by: target.0.needed_by | merged.needed_by,
        };
        target.1.extend(members);
    }
    let mut out: Vec<Vec<usize>> = clusters
        .into_iter()
        .map(|(_, mut members)| {
            members.sort_unstable();
            members
        })
        .collect();
    out.sort_unstable_by_key(|members| members[0]);
    out
}

/// The bytes each group downloads under `plan`, summed over groups (what [`plan`] lowers).
pub fn total(chunks: &[Chunk], plan: &[Vec<usize>], overhead: u64) -> u64 {
    plan.iter()
        .map(|members| {
            let size: u64 = members.iter().map(|&i| chunks[i].size).sum();
            let needed_by = members.iter().fold(0, |acc, &i| acc | chunks[i].needed_by);
            u64::from(needed_by.count_ones()) * (size + overhead)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(size: u64, groups: &[u32]) -> Chunk {
        Chunk {
            size,
            needed_by: groups.iter().fold(0, |acc, g| acc | 1 << g),
        }
    }

    #[test]
    fn small_chunks_needed_by_the_same_groups_become_one() {
        let chunks = [chunk(100, &[0, 1]), chunk(50, &[0, 1]), chunk(70, &[0, 1])];
        assert_eq!(plan(&chunks, 500), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn a_large_chunk_is_not_forced_on_groups_that_do_not_need_it() {
        // Groups 2 and 3 would download 100 KB they never use to save two small files.
        let chunks = [chunk(100_000, &[0, 1]), chunk(300, &[0, 1, 2, 3])];
        assert_eq!(plan(&chunks, 500), vec![vec![0], vec![1]]);
    }

    #[test]
    fn a_small_chunk_joins_a_superset_when_the_extra_bytes_cost_less_than_the_files() {
        // Merged, group 2 downloads 200 more bytes; groups 0 and 1 each save one file.
        let chunks = [chunk(200, &[0, 1]), chunk(5_000, &[0, 1, 2])];
        assert_eq!(plan(&chunks, 500), vec![vec![0, 1]]);
        assert!(
            total(&chunks, &plan(&chunks, 500), 500) < total(&chunks, &[vec![0], vec![1]], 500)
        );
    }

    #[test]
    fn no_merge_makes_the_total_larger() {
        let chunks = [
            chunk(800, &[0, 1]),
            chunk(20_000, &[1, 2]),
            chunk(300, &[0, 2]),
            chunk(1_200, &[0, 1, 2]),
            chunk(90, &[3, 4]),
            chunk(4_000, &[0, 3]),
        ];
        let apart: Vec<Vec<usize>> = (0..chunks.len()).map(|i| vec![i]).collect();
        let merged = plan(&chunks, 600);
        assert!(total(&chunks, &merged, 600) <= total(&chunks, &apart, 600));
        // Every chunk is written exactly once.
        let mut all: Vec<usize> = merged.concat();
        all.sort_unstable();
        assert_eq!(all, (0..chunks.len()).collect::<Vec<_>>());
    }
}
