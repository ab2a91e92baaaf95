// Cross-check of data/phases/*.cif with the gemmi headers the engine uses
// (Debian gemmi 0.5.7, header-only).  Not part of the build; compile by hand:
//
//   g++ -std=c++17 -O1 -DUSE_STD_SNPRINTF -o /tmp/check_gemmi \
//       scripts/phases/check_gemmi.cpp && /tmp/check_gemmi data/phases/*.cif
//
// For every file: the symop loop must parse and form a group that gemmi
// identifies (find_spacegroup_by_ops) with the file's _space_group_IT_number;
// the bare H-M symbol (find_spacegroup_by_name, with the cell angles) and the
// Hall symbol must both give exactly the same set of operations; and the
// number of atoms in the unit cell from gemmi::SmallStructure must be printed
// (compare with check_phases.py).
#include <gemmi/cif.hpp>
#include <gemmi/smcif.hpp>
#include <gemmi/symmetry.hpp>

#include <cstdio>
#include <string>

namespace cif = gemmi::cif;

int main(int argc, char** argv) {
  int fails = 0;
  for (int i = 1; i < argc; ++i) {
    const char* path = argv[i];
    std::string err;
    try {
      cif::Document doc = cif::read_file(path);
      cif::Block& b = doc.blocks.at(0);
      std::vector<gemmi::Op> ops;
      for (const std::string& v : b.find_values("_space_group_symop_operation_xyz"))
        ops.push_back(gemmi::parse_triplet(cif::as_string(v)));
      gemmi::GroupOps g = gemmi::split_centering_vectors(ops);
      const gemmi::SpaceGroup* by_ops = gemmi::find_spacegroup_by_ops(g);
      int number = (int) cif::as_number(*b.find_value("_space_group_IT_number"));
      std::string hm = cif::as_string(*b.find_value("_space_group_name_H-M_alt"));
      std::string hall = cif::as_string(*b.find_value("_space_group_name_Hall"));
      double alpha = cif::as_number(*b.find_value("_cell_angle_alpha"));
      double gamma = cif::as_number(*b.find_value("_cell_angle_gamma"));
      const gemmi::SpaceGroup* by_name = gemmi::find_spacegroup_by_name(hm, alpha, gamma);
      gemmi::GroupOps from_hall = gemmi::symops_from_hall(hall.c_str());
      if (!by_ops) err += " symop loop not a known setting;";
      else if (by_ops->number != number) err += " loop gives SG " + std::to_string(by_ops->number) + ";";
      if (!by_name) err += " H-M '" + hm + "' not found;";
      else if (!by_name->operations().is_same_as(g)) err += " H-M setting differs from loop;";
      if (!from_hall.is_same_as(g)) err += " Hall ops differ from loop;";
      if (g.order() != (int) ops.size()) err += " loop has duplicates/missing ops;";
      gemmi::SmallStructure st = gemmi::make_small_structure_from_block(b);
      st.setup_cell_images();
      size_t natoms = st.get_all_unit_cell_sites().size();
      std::printf("%-26s ops=%3d sg=%3d (%s) atoms/cell=%3zu %s\n", path, (int) ops.size(),
                  by_ops ? by_ops->number : 0, by_ops ? by_ops->xhm().c_str() : "?", natoms,
                  err.empty() ? "OK" : ("FAIL:" + err).c_str());
    } catch (const std::exception& e) {
      err = e.what();
      std::printf("%-26s FAIL: %s\n", path, e.what());
    }
    if (!err.empty()) ++fails;
  }
  std::printf("%d file(s), %d failure(s)\n", argc - 1, fails);
  return fails ? 1 : 0;
}
