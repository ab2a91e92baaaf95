#!/usr/bin/python3
"""Write the built-in default phase library (data/phases/*.cif).

The crystallographic data below (cell, space-group setting, Wyckoff sites,
coordinates) were typed in by hand from the references cited per phase.
The only thing computed here is the full `_space_group_symop_operation_xyz`
loop, which is expanded from the Hall symbol of the chosen setting using
spglib's space-group database (so every file carries every operation of its
setting explicitly, independent of the reader's symbol tables).

Run with Debian's interpreter:  /usr/bin/python3 scripts/phases/make_phases.py
Then verify:                     /usr/bin/python3 scripts/phases/check_phases.py
"""
import os
import textwrap
from fractions import Fraction

import spglib

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "phases")

# Hall numbers (spglib/ITA numbering) for the settings used here.
HALL = {
    12: 63,    # C 1 2/m 1 (unique axis b, cell choice 1)
    14: 81,    # P 1 21/c 1 (unique axis b, cell choice 1)
    15: 90,    # C 1 2/c 1 (unique axis b, cell choice 1)
    31: 155,   # P m n 21 (standard)
    59: 278,   # P m m n, origin choice 1 (gemmi/pymatgen default for the bare H-M symbol)
    62: 292,   # P n m a (standard)
    63: 298,   # C m c m (standard)
    99: 376,   # P 4 m m
    114: 391,  # P -4 21 c
    129: 408,  # P 4/n m m, origin choice 1 (gemmi/pymatgen default for the bare H-M symbol)
    136: 419,  # P 42/m n m
    141: 426,  # I 41/a m d, origin choice 1 (gemmi/pymatgen default for the bare H-M symbol)
    154: 443,  # P 32 2 1
    166: 458,  # R -3 m, hexagonal axes
    167: 460,  # R -3 c, hexagonal axes
    176: 470,  # P 63/m
    186: 480,  # P 63 m c
    191: 485,  # P 6/m m m
    194: 488,  # P 63/m m c
    206: 502,  # I a -3
    216: 512,  # F -4 3 m
    221: 517,  # P m -3 m
    225: 523,  # F m -3 m
    227: 525,  # F d -3 m, origin choice 1 (gemmi/pymatgen default for the bare H-M symbol)
    229: 529,  # I m -3 m
}

# H-M symbols written with spaces (parsable by gemmi and other readers).
# Settings are chosen so that the bare H-M symbol means the same setting in
# gemmi 0.5.7 and pymatgen (origin choice 1 where there are two; hexagonal
# axes for R groups); the Hall symbol and the symop loop are authoritative.
HM = {
    12: "C 1 2/m 1", 14: "P 1 21/c 1", 15: "C 1 2/c 1", 31: "P m n 21", 59: "P m m n",
    62: "P n m a", 63: "C m c m", 99: "P 4 m m", 114: "P -4 21 c",
    129: "P 4/n m m", 136: "P 42/m n m", 141: "I 41/a m d",
    154: "P 32 2 1", 166: "R -3 m", 167: "R -3 c", 176: "P 63/m",
    186: "P 63 m c", 191: "P 6/m m m", 194: "P 63/m m c", 206: "I a -3", 216: "F -4 3 m",
    221: "P m -3 m", 225: "F m -3 m", 227: "F d -3 m", 229: "I m -3 m",
}

SETTING_NOTE = {
    59: "origin choice 1 (mm2 at origin)",
    129: "origin choice 1 (-4m2 at origin)",
    141: "origin choice 1 (-4m2 at origin)",
    227: "origin choice 1 (-43m at origin)",
    166: "hexagonal axes (obverse)",
    167: "hexagonal axes (obverse)",
    12: "unique axis b, cell choice 1",
    14: "unique axis b, cell choice 1",
    15: "unique axis b, cell choice 1",
}

TYPICAL_B = ("# B_iso values are typical room-temperature values (not taken "
             "from the cited refinement); they only affect peak intensities "
             "mildly.")

P = []  # list of phase dicts


def phase(name, formula, sg, cell, sites, source, mineral=None, common=None,
          notes=(), b_note=TYPICAL_B):
    P.append(dict(name=name, formula=formula, sg=sg, cell=cell, sites=sites,
                  source=source, mineral=mineral, common=common,
                  notes=list(notes), b_note=b_note))


def cub(a):
    return (a, a, a, 90.0, 90.0, 90.0)


def tet(a, c):
    return (a, a, c, 90.0, 90.0, 90.0)


def hexa(a, c):
    return (a, a, c, 90.0, 90.0, 120.0)


# ----------------------------------------------------------------- cubic ---
phase("Si", "Si", 227, cub(5.43102),
      [("Si1", "Si", "0", "0", "0", 1, 0.46)],
      "CODATA/NIST value of the Si lattice parameter (a = 5.431020 A at 22.5 C, "
      "cf. NIST SRM 640 series); diamond structure type, Wyckoff, Crystal "
      "Structures vol. 1 (1963)",
      common="silicon")
phase("NaCl", "Cl Na", 225, cub(5.6402),
      [("Na1", "Na", "0", "0", "0", 1, 1.6),
       ("Cl1", "Cl", "1/2", "1/2", "1/2", 1, 1.2)],
      "Swanson & Fuyat, NBS Circular 539 vol. 2 (1953) (a = 5.6402 A); "
      "rock-salt type, Wyckoff, Crystal Structures vol. 1 (1963)",
      mineral="halite", common="sodium chloride")
phase("KCl", "Cl K", 225, cub(6.2931),
      [("K1", "K", "0", "0", "0", 1, 1.8),
       ("Cl1", "Cl", "1/2", "1/2", "1/2", 1, 1.8)],
      "Swanson & Tatge, NBS Circular 539 vol. 1 (1953) (a = 6.2931 A); "
      "rock-salt type, Wyckoff, Crystal Structures vol. 1 (1963)",
      mineral="sylvite", common="potassium chloride")
phase("LiF", "F Li", 225, cub(4.0270),
      [("Li1", "Li", "0", "0", "0", 1, 1.0),
       ("F1", "F", "1/2", "1/2", "1/2", 1, 0.8)],
      "Swanson & Tatge, NBS Circular 539 vol. 1 (1953) (a = 4.0270 A); "
      "rock-salt type, Wyckoff, Crystal Structures vol. 1 (1963)",
      mineral="griceite", common="lithium fluoride")
phase("CaF2", "Ca F2", 225, cub(5.4626),
      [("Ca1", "Ca", "0", "0", "0", 1, 0.5),
       ("F1", "F", "1/4", "1/4", "1/4", 1, 0.7)],
      "Swanson & Tatge, NBS Circular 539 vol. 1 (1953) (a = 5.4626 A); "
      "fluorite type, Wyckoff, Crystal Structures vol. 1 (1963)",
      mineral="fluorite", common="calcium fluoride")
phase("MgO", "Mg O", 225, cub(4.2112),
      [("Mg1", "Mg", "0", "0", "0", 1, 0.3),
       ("O1", "O", "1/2", "1/2", "1/2", 1, 0.35)],
      "rock-salt type, Wyckoff, Crystal Structures vol. 1 (1963); a = 4.2112 A "
      "(room-temperature value, ICDD PDF 45-0946)",
      mineral="periclase", common="magnesium oxide")
phase("NiO", "Ni O", 225, cub(4.1771),
      [("Ni1", "Ni", "0", "0", "0", 1, 0.3),
       ("O1", "O", "1/2", "1/2", "1/2", 1, 0.4)],
      "rock-salt type, Wyckoff, Crystal Structures vol. 1 (1963); a = 4.1771 A "
      "(ICDD PDF 47-1049). The weak rhombohedral distortion of "
      "antiferromagnetic NiO is ignored (cubic average structure).",
      mineral="bunsenite", common="nickel(II) oxide")
phase("CeO2", "Ce O2", 225, cub(5.4113),
      [("Ce1", "Ce", "0", "0", "0", 1, 0.3),
       ("O1", "O", "1/4", "1/4", "1/4", 1, 0.6)],
      "fluorite type, Wyckoff, Crystal Structures vol. 1 (1963); a = 5.4113 A "
      "(ICDD PDF 34-0394)",
      mineral="cerianite", common="ceria, cerium(IV) oxide")
phase("ZnS_sphalerite", "S Zn", 216, cub(5.4093),
      [("Zn1", "Zn", "0", "0", "0", 1, 0.6),
       ("S1", "S", "1/4", "1/4", "1/4", 1, 0.5)],
      "zinc-blende type, Wyckoff, Crystal Structures vol. 1 (1963); "
      "a = 5.4093 A (typical room-temperature value for pure ZnS)",
      mineral="sphalerite", common="zinc sulfide (zinc blende)")
phase("SrTiO3", "O3 Sr Ti", 221, cub(3.9050),
      [("Sr1", "Sr", "1/2", "1/2", "1/2", 1, 0.55),
       ("Ti1", "Ti", "0", "0", "0", 1, 0.4),
       ("O1", "O", "1/2", "0", "0", 1, 0.6)],
      "ideal cubic perovskite, Wyckoff, Crystal Structures vol. 2 (1964); "
      "a = 3.9050 A (room temperature, ICDD PDF 35-0734)",
      mineral="tausonite", common="strontium titanate")
phase("Cu", "Cu", 225, cub(3.6150),
      [("Cu1", "Cu", "0", "0", "0", 1, 0.55)],
      "Swanson & Tatge, NBS Circular 539 vol. 1 (1953) (a = 3.6150 A, "
      "ICDD PDF 04-0836)", mineral="copper", common="copper")
phase("Al", "Al", 225, cub(4.0494),
      [("Al1", "Al", "0", "0", "0", 1, 0.8)],
      "Swanson & Tatge, NBS Circular 539 vol. 1 (1953) (a = 4.0494 A, "
      "ICDD PDF 04-0787)", mineral="aluminium", common="aluminium")
phase("Au", "Au", 225, cub(4.0786),
      [("Au1", "Au", "0", "0", "0", 1, 0.6)],
      "Swanson & Tatge, NBS Circular 539 vol. 1 (1953) (a = 4.0786 A, "
      "ICDD PDF 04-0784)", mineral="gold", common="gold")
phase("Ni", "Ni", 225, cub(3.5238),
      [("Ni1", "Ni", "0", "0", "0", 1, 0.4)],
      "Swanson & Tatge, NBS Circular 539 vol. 1 (1953) (a = 3.5238 A, "
      "ICDD PDF 04-0850)", mineral="nickel", common="nickel")
phase("Fe_alpha", "Fe", 229, cub(2.8665),
      [("Fe1", "Fe", "0", "0", "0", 1, 0.35)],
      "Swanson et al., NBS Circular 539 vol. 4 (1955) (a = 2.8665 A, "
      "ICDD PDF 06-0696)", mineral="iron", common="alpha-iron (ferrite, bcc)")
phase("W", "W", 229, cub(3.1648),
      [("W1", "W", "0", "0", "0", 1, 0.15)],
      "Swanson & Tatge, NBS Circular 539 vol. 1 (1953) (a = 3.1648 A, "
      "ICDD PDF 04-0806)", common="tungsten")
phase("MgAl2O4_spinel", "Al2 Mg O4", 227, cub(8.0831),
      [("Mg1", "Mg", "0", "0", "0", 1, 0.4),
       ("Al1", "Al", "5/8", "5/8", "5/8", 1, 0.35),
       ("O1", "O", "0.3874", "0.3874", "0.3874", 1, 0.5)],
      "spinel type, Wyckoff, Crystal Structures vol. 3 (1965); a = 8.0831 A "
      "(ICDD PDF 21-1152), u(O) = 0.3874 (origin choice 1; = 0.2624 in "
      "origin choice 2), typical value for stoichiometric, fully ordered "
      "(normal) spinel",
      mineral="spinel", common="magnesium aluminate spinel")
phase("Fe3O4_magnetite", "Fe3 O4", 227, cub(8.3941),
      [("Fe1", "Fe", "0", "0", "0", 1, 0.4),
       ("Fe2", "Fe", "5/8", "5/8", "5/8", 1, 0.4),
       ("O1", "O", "0.3799", "0.3799", "0.3799", 1, 0.5)],
      "Fleet, Acta Cryst. B37 (1981) 917 (a = 8.3941 A, u(O) = 0.2549 in "
      "origin choice 2, i.e. 0.3799 in the origin choice 1 used here); inverse spinel, Fe3+ on 8a, Fe2.5+ on 16d",
      mineral="magnetite", common="iron(II,III) oxide")
phase("LiMn2O4_spinel", "Li Mn2 O4", 227, cub(8.2450),
      [("Li1", "Li", "0", "0", "0", 1, 1.0),
       ("Mn1", "Mn", "5/8", "5/8", "5/8", 1, 0.4),
       ("O1", "O", "0.3880", "0.3880", "0.3880", 1, 0.6)],
      "Thackeray, David, Bruce & Goodenough, Mater. Res. Bull. 18 (1983) 461 "
      "(spinel LiMn2O4, Li on 8a, Mn on 16d); a = 8.245 A and u(O) = 0.388 "
      "(origin choice 1; 0.263 in origin choice 2) are typical room-temperature literature values",
      common="lithium manganese oxide spinel (LMO)")
phase("Y2O3", "O3 Y2", 206, cub(10.604),
      [("Y1", "Y", "1/4", "1/4", "1/4", 1, 0.3),
       ("Y2", "Y", "-0.0327", "0", "1/4", 1, 0.3),
       ("O1", "O", "0.3910", "0.1520", "0.3800", 1, 0.5)],
      "Paton & Maslen, Acta Cryst. 19 (1965) 307 (C-type / bixbyite "
      "structure, a = 10.604 A, Y 8b and 24d, O 48e)",
      common="yttria, yttrium oxide (C-type)")

phase("CaO", "Ca O", 225, cub(4.8105),
      [("Ca1", "Ca", "0", "0", "0", 1, 0.4),
       ("O1", "O", "1/2", "1/2", "1/2", 1, 0.5)],
      "Wyckoff, Crystal Structures, 2nd ed., vol. 1 (1963) p. 85 (rock-salt "
      "type, a = 4.8105 A; AMCSD 0011283, COD 9008605)",
      mineral="lime", common="calcium oxide (quicklime)")
phase("MnO", "Mn O", 225, cub(4.4448),
      [("Mn1", "Mn", "0", "0", "0", 1, 0.4),
       ("O1", "O", "1/2", "1/2", "1/2", 1, 0.5)],
      "Wyckoff, Crystal Structures, 2nd ed., vol. 1 (1963) p. 85 (rock-salt "
      "type, a = 4.4448 A; AMCSD 0011352, COD 9008674). The weak "
      "rhombohedral distortion below the Neel temperature (118 K) does not "
      "concern room-temperature patterns",
      mineral="manganosite", common="manganese(II) oxide")
phase("CoO", "Co O", 225, cub(4.2667),
      [("Co1", "Co", "0", "0", "0", 1, 0.35),
       ("O1", "O", "1/2", "1/2", "1/2", 1, 0.45)],
      "Wyckoff, Crystal Structures, 2nd ed., vol. 1 (1963) p. 85 (rock-salt "
      "type, a = 4.2667 A; AMCSD 0011296, COD 9008618)",
      common="cobalt(II) oxide")
phase("Li2O", "Li2 O", 225, cub(4.6190),
      [("O1", "O", "0", "0", "0", 1, 0.6),
       ("Li1", "Li", "1/4", "1/4", "1/4", 1, 1.0)],
      "Wyckoff, Crystal Structures, 2nd ed., vol. 1 (1963) p. 239 "
      "(antifluorite type, a = 4.619 A; AMCSD 0011738, COD 9009059)",
      common="lithium oxide (lithia)")
phase("In2O3", "In2 O3", 206, cub(10.117),
      [("In1", "In", "1/4", "1/4", "1/4", 1, 0.4),
       ("In2", "In", "-0.0336", "0", "1/4", 1, 0.4),
       ("O1", "O", "0.3905", "0.1529", "0.3832", 1, 0.6)],
      "Marezio, Acta Cryst. 20 (1966) 723 (bixbyite type, Ia-3, "
      "a = 10.117 A; In 8b and 24d x = -0.0336, O 48e 0.3905 0.1529 0.3832)",
      common="indium(III) oxide (bixbyite type)",
      notes=["check: In1-O 2.19 A (x6); In2-O 2.12, 2.19, 2.21 A (x2 each)"])
phase("Mn2O3_bixbyite", "Mn2 O3", 206, cub(9.4100),
      [("Mn1", "Mn", "0", "0", "0", 1, 0.4),
       ("Mn2", "Mn", "0.2760", "0", "1/4", 1, 0.4),
       ("O1", "O", "0.0850", "0.1250", "0.6510", 1, 0.6)],
      "alpha-Mn2O3 described in the cubic bixbyite cell (Ia-3, a = 9.41 A; "
      "Mn 8a, Mn 24d x = 0.276, O 48e 0.085 0.125 0.651), as in the "
      "ICSD-derived reference set of XRD-AutoAnalyzer (Szymanski et al., "
      "Chem. Mater. 33 (2021) 4204); structure type after Pauling & "
      "Shappell, Z. Kristallogr. 75 (1930) 128 (bixbyite). The slight "
      "orthorhombic distortion of pure Mn2O3 (Geller, Acta Cryst. B27 "
      "(1971) 821) only splits lines and is ignored",
      common="manganese(III) oxide (alpha-Mn2O3, bixbyite type)")
phase("Co3O4_spinel", "Co3 O4", 227, cub(8.0837),
      [("Co1", "Co", "0", "0", "0", 1, 0.35),
       ("Co2", "Co", "5/8", "5/8", "5/8", 1, 0.35),
       ("O1", "O", "0.3880", "0.3880", "0.3880", 1, 0.5)],
      "normal spinel, Co2+ on 8a and Co3+ on 16d (Roth, J. Phys. Chem. "
      "Solids 25 (1964) 1); a = 8.0837 A (ICDD PDF 42-1467); u(O) = 0.388 "
      "(origin choice 1; 0.263 in origin choice 2), typical literature value",
      common="cobalt(II,III) oxide")
phase("LaB6", "B6 La", 221, cub(4.15692),
      [("La1", "La", "0", "0", "0", 1, 0.4),
       ("B1", "B", "0.1996", "1/2", "1/2", 1, 0.4)],
      "lanthanum hexaboride, CaB6 type (La 1a, B 6f x,1/2,1/2); a = "
      "4.15692 A, the certified lattice parameter of NIST SRM 660a (line "
      "position and profile standard); x(B) = 0.1996, typical single-crystal "
      "value (B-B 1.66 A between and 1.77 A within the B6 octahedra)",
      common="lanthanum hexaboride (NIST SRM 660 line-profile standard)")

# ---------------------------------------------- trigonal / hexagonal --------
phase("Al2O3_corundum", "Al2 O3", 167, hexa(4.7602, 12.9933),
      [("Al1", "Al", "0", "0", "0.35216", 1, 0.25),
       ("O1", "O", "0.30624", "0", "1/4", 1, 0.3)],
      "Lewis, Schwarzenbach & Flack, Acta Cryst. A38 (1982) 733",
      mineral="corundum", common="alpha-alumina")
phase("Cr2O3_eskolaite", "Cr2 O3", 167, hexa(4.9590, 13.5940),
      [("Cr1", "Cr", "0", "0", "0.34750", 1, 0.3),
       ("O1", "O", "0.30570", "0", "1/4", 1, 0.4)],
      "Finger & Hazen, J. Appl. Phys. 51 (1980) 5362 (corundum type; "
      "Cr z = 0.3475, O x = 0.3057); cell a = 4.959, c = 13.594 A "
      "(ICDD PDF 38-1479)",
      mineral="eskolaite", common="chromium(III) oxide, chromia")
phase("Fe2O3_hematite", "Fe2 O3", 167, hexa(5.0380, 13.7720),
      [("Fe1", "Fe", "0", "0", "0.35530", 1, 0.3),
       ("O1", "O", "0.30590", "0", "1/4", 1, 0.4)],
      "Blake, Hessevick, Zoltai & Finger, Am. Mineral. 51 (1966) 123",
      mineral="hematite", common="alpha-iron(III) oxide")
phase("CaCO3_calcite", "C Ca O3", 167, hexa(4.9900, 17.0620),
      [("Ca1", "Ca", "0", "0", "0", 1, 0.6),
       ("C1", "C", "0", "0", "1/4", 1, 0.6),
       ("O1", "O", "0.2578", "0", "1/4", 1, 0.9)],
      "Graf, Am. Mineral. 46 (1961) 1283 (a = 4.990, c = 17.062 A, "
      "O x = 0.2578)",
      mineral="calcite", common="calcium carbonate")
phase("SiO2_alpha_quartz", "O2 Si", 154, hexa(4.9160, 5.4054),
      [("Si1", "Si", "0.4697", "0", "2/3", 1, 0.5),
       ("O1", "O", "0.4135", "0.2669", "0.7858", 1, 0.8)],
      "Levien, Prewitt & Weidner, Am. Mineral. 65 (1980) 920 (ambient-pressure "
      "refinement, a = 4.9160, c = 5.4054 A; Si x = 0.4697, O 0.4135 0.2669 "
      "0.1191 with the origin chosen so that Si has z = 0). Here the same "
      "structure is shifted by +2/3 along c so that Si sits on Wyckoff 3a "
      "(x,0,2/3) of the ITA setting of P3221 written in the symop loop "
      "(checked: Si-O 1.605/1.614 A, Si-O-Si 143.7 deg). This is one "
      "enantiomorph; the other (P3121) gives the identical powder pattern",
      mineral="quartz", common="alpha-quartz")
phase("ZnO_zincite", "O Zn", 186, hexa(3.2496, 5.2042),
      [("Zn1", "Zn", "1/3", "2/3", "0", 1, 0.55),
       ("O1", "O", "1/3", "2/3", "0.3819", 1, 0.6)],
      "Kisi & Elcombe, Acta Cryst. C45 (1989) 1867 (a = 3.2496, "
      "c = 5.2042 A, u = 0.3819)",
      mineral="zincite", common="zinc oxide (wurtzite type)")
phase("C_graphite_2H", "C", 194, hexa(2.4612, 6.7079),
      [("C1", "C", "0", "0", "1/4", 1, 0.4),
       ("C2", "C", "1/3", "2/3", "1/4", 1, 0.4)],
      "Trucano & Chen, Nature 258 (1975) 136 (a = 2.4612, c = 6.7079 A); "
      "described in the conventional P63/mmc model (Bernal AB stacking)",
      mineral="graphite", common="graphite-2H")
phase("Mg", "Mg", 194, hexa(3.2094, 5.2105),
      [("Mg1", "Mg", "1/3", "2/3", "1/4", 1, 1.0)],
      "Swanson & Tatge, NBS Circular 539 vol. 1 (1953) (a = 3.2094, "
      "c = 5.2105 A, ICDD PDF 35-0821/04-0770); hcp",
      mineral="magnesium", common="magnesium")
phase("LiCoO2", "Co Li O2", 166, hexa(2.8160, 14.0540),
      [("Li1", "Li", "0", "0", "1/2", 1, 1.0),
       ("Co1", "Co", "0", "0", "0", 1, 0.3),
       ("O1", "O", "0", "0", "0.2604", 1, 0.5)],
      "Akimoto, Gotoh & Oosawa, J. Solid State Chem. 141 (1998) 298 "
      "(layered alpha-NaFeO2 type, Co 3a, Li 3b, O 6c); a = 2.816, c = 14.054 A "
      "and z(O) = 0.2604 are typical room-temperature literature values",
      common="lithium cobalt oxide (LCO, HT-LiCoO2)")

phase("GeO2_quartz", "Ge O2", 154, hexa(4.9870, 5.6520),
      [("Ge1", "Ge", "0.4513", "0", "2/3", 1, 0.5),
       ("O1", "O", "0.3969", "0.3021", "0.75757", 1, 0.9)],
      "Smith & Isaacs, Acta Cryst. 17 (1964) 842 (quartz-like GeO2, "
      "a = 4.987, c = 5.652 A; Ge x = 0.4513, O 0.3969 0.3021 0.0909 with "
      "Ge at z = 0; AMCSD 0009284, COD 9007477). Shifted here by +2/3 along "
      "c onto the ITA setting of P3221 written in the symop loop, as for "
      "alpha-quartz. The common commercial (water-soluble) GeO2 powder",
      common="germanium dioxide, alpha-quartz type")
phase("MnCO3_rhodochrosite", "C Mn O3", 167, hexa(4.7901, 15.6940),
      [("Mn1", "Mn", "0", "0", "0", 1, 0.5),
       ("C1", "C", "0", "0", "1/4", 1, 0.6),
       ("O1", "O", "0.2692", "0", "1/4", 1, 0.8)],
      "calcite type (R-3c); cell of synthetic MnCO3, ICDD PDF 44-1472 "
      "(a = 4.7901, c = 15.694 A); O x = 0.2692 of the RRUFF rhodochrosite "
      "reference structure (RRUFF R100002, a = 4.7771, c = 15.664 A) of the "
      "PXRD candidate-retrieval benchmark; cf. the single-crystal refinement "
      "of Effenberger, Mereiter & Zemann, Z. Kristallogr. 156 (1981) 233; "
      "checked: C-O 1.289 A",
      mineral="rhodochrosite", common="manganese(II) carbonate")
phase("Nb2O5_TT", "Nb2 O5", 191, hexa(3.6070, 3.9250),
      [("Nb1", "Nb", "0", "0", "0", 1, 1.0),
       ("O1", "O", "0", "0", "1/2", 1, 1.0),
       ("O2", "O", "1/3", "2/3", "0", 0.75, 1.0)],
      "the pseudo-hexagonal cell of TT-Nb2O5 (powder diffraction file "
      "28-317: a = 3.607, c = 3.925 A), the subcell of the low-temperature "
      "T and TT forms whose lines commercial Nb2O5 powders show (22.6, "
      "28.5, 36.7, 46.2, 50.6, 55.2 deg for Cu Ka)",
      common="niobium pentoxide, TT form (averaged subcell)",
      notes=["An averaged structure, not a refinement: Nb on the hexagonal "
             "lattice, O bridging Nb along c (Nb-O 1.96 A) and 3/4 of the "
             "trigonal sites in the Nb layer (Nb-O 2.08 A, about five "
             "equatorial O per Nb, as in the pentagonal bipyramids of "
             "T-Nb2O5), occupancies from the composition NbO2.5. It "
             "reproduces the strong lines' positions and roughly their "
             "intensities; the superstructure's weak lines and the "
             "splitting of the orthorhombic T form (28.4/28.9 deg) are "
             "absent, so its weight fractions are approximate",
             "B_iso = 1.0 for every site stands for the positional "
             "disorder of the averaged sites"],
      b_note="# B_iso chosen, not refined (see above).")
phase("La_OH_3", "H3 La O3", 176, hexa(6.5280, 3.8580),
      [("La1", "La", "1/3", "2/3", "1/4", 1, 0.5),
       ("O1", "O", "0.3950", "0.0850", "1/4", 1, 0.8)],
      "UCl3 type (P63/m, La 2c, O 6h); a = 6.528, c = 3.858 A (ICDD PDF "
      "36-1481); O x, y = 0.395, 0.085 are approximate (+-0.01), not a "
      "refined value: they give La-O 3 x 2.55 and 6 x 2.57 A, as in the "
      "nine-coordinated lanthanide trihydroxides (Beall, Milligan & "
      "Wolcott, J. Inorg. Nucl. Chem. 39 (1977) 65). La dominates the "
      "intensities",
      common="lanthanum hydroxide La(OH)3",
      notes=["H is omitted (hydroxyl H positions not known reliably; "
             "negligible for X-rays), so the atom list gives LaO3 while "
             "_chemical_formula_sum names La(OH)3"])

# ------------------------------------------------------------ tetragonal ----
phase("TiO2_rutile", "O2 Ti", 136, tet(4.5937, 2.9587),
      [("Ti1", "Ti", "0", "0", "0", 1, 0.4),
       ("O1", "O", "0.30478", "0.30478", "0", 1, 0.5)],
      "Burdett, Hughbanks, Miller, Richardson & Smith, J. Am. Chem. Soc. 109 "
      "(1987) 3639 (a = 4.5937, c = 2.9587 A, O x = 0.30478)",
      mineral="rutile", common="titanium dioxide (rutile)")
phase("TiO2_anatase", "O2 Ti", 141, tet(3.7842, 9.5146),
      [("Ti1", "Ti", "0", "0", "0", 1, 0.4),
       ("O1", "O", "0", "0", "0.20806", 1, 0.6)],
      "Burdett, Hughbanks, Miller, Richardson & Smith, J. Am. Chem. Soc. 109 "
      "(1987) 3639 (a = 3.7842, c = 9.5146 A; origin choice 1: Ti 4a 0,0,0, "
      "O 8e 0,0,z with z = 0.20806)",
      mineral="anatase", common="titanium dioxide (anatase)")
phase("SnO2_cassiterite", "O2 Sn", 136, tet(4.7374, 3.1864),
      [("Sn1", "Sn", "0", "0", "0", 1, 0.3),
       ("O1", "O", "0.3056", "0.3056", "0", 1, 0.5)],
      "Bolzan, Fong, Kennedy & Howard, Acta Cryst. B53 (1997) 373 "
      "(rutile type; a = 4.7374, c = 3.1864 A, O x = 0.3056)",
      mineral="cassiterite", common="tin(IV) oxide")
phase("BaTiO3_tetragonal", "Ba O3 Ti", 99, tet(3.9940, 4.0380),
      [("Ba1", "Ba", "0", "0", "0", 1, 0.4),
       ("Ti1", "Ti", "1/2", "1/2", "0.5135", 1, 0.4),
       ("O1", "O", "1/2", "1/2", "-0.0250", 1, 0.5),
       ("O2", "O", "1/2", "0", "0.4853", 1, 0.5)],
      "cell: ICDD PDF 05-0626 (Swanson et al., NBS Circular 539 vol. 3, "
      "1954; a = 3.994, c = 4.038 A); displacements along c (rounded) from "
      "the room-temperature neutron refinement of Harada, Pedersen & Barnea, "
      "Acta Cryst. A26 (1970) 336 (Ba 0; Ti 0.5135; O1 -0.025; O2 0.4853). "
      "P4mm is polar: the z origin is fixed by Ba at z = 0",
      common="barium titanate (tetragonal, room temperature)")
phase("PbO_litharge", "O Pb", 129, tet(3.9759, 5.0229),
      [("Pb1", "Pb", "1/2", "0", "0.2385", 1, 0.8),
       ("O1", "O", "0", "0", "0", 1, 0.8)],
      "Boher, Garnier, Gavarri & Hewat, J. Solid State Chem. 57 (1985) 343 "
      "(alpha-PbO, a = 3.9759, c = 5.0229 A, Pb 2c z = 0.2385, O 2a, given "
      "in origin choice 2: O 3/4,1/4,0, Pb 1/4,1/4,z); shifted here by "
      "(+1/4,-1/4,0) to origin choice 1",
      mineral="litharge", common="lead(II) oxide, red/tetragonal")

phase("GeO2_rutile", "Ge O2", 136, tet(4.3950, 2.8590),
      [("Ge1", "Ge", "0", "0", "0", 1, 0.3),
       ("O1", "O", "0.3070", "0.3070", "0", 1, 0.5)],
      "Wyckoff, Crystal Structures, 2nd ed., vol. 1 (1963) p. 239 (rutile "
      "type, a = 4.395, c = 2.859 A, O x = 0.307; AMCSD 0011759, COD "
      "9009080); cf. Baur & Khan, Acta Cryst. B27 (1971) 2133",
      mineral="argutite", common="germanium dioxide, rutile type")
phase("MnO2_pyrolusite", "Mn O2", 136, tet(4.3960, 2.8710),
      [("Mn1", "Mn", "0", "0", "0", 1, 0.3),
       ("O1", "O", "0.3020", "0.3020", "0", 1, 0.5)],
      "Wyckoff, Crystal Structures, 2nd ed., vol. 1 (1963) p. 239 (beta-MnO2, "
      "rutile type, a = 4.396, c = 2.871 A, O x = 0.302; AMCSD 0011760, COD "
      "9009081)",
      mineral="pyrolusite", common="manganese(IV) oxide, beta-MnO2")
phase("MnF2", "F2 Mn", 136, tet(4.8734, 3.3099),
      [("Mn1", "Mn", "0", "0", "0", 1, 0.5),
       ("F1", "F", "0.3050", "0.3050", "0", 1, 0.8)],
      "Baur & Khan, Acta Cryst. B27 (1971) 2133 (rutile type, a = 4.8734, "
      "c = 3.3099 A, F x = 0.305)",
      common="manganese(II) fluoride")
phase("Mn3O4_hausmannite", "Mn3 O4", 141, tet(5.7691, 9.4605),
      [("Mn1", "Mn", "0", "0", "0", 1, 0.4),
       ("Mn2", "Mn", "0", "1/4", "5/8", 1, 0.4),
       ("O1", "O", "0", "0.2223", "0.3842", 1, 0.6)],
      "tetragonally distorted spinel (I41/amd, Mn2+ 4a, Mn3+ 8d, O 16h); "
      "cell a = 5.7691, c = 9.4605 A and O (0, 0.2223, 0.3842) of the RRUFF "
      "hausmannite reference structure of the PXRD candidate-retrieval "
      "benchmark, origin choice 1; cf. Jarosch, Mineral. Petrol. 37 (1987) 15",
      mineral="hausmannite", common="manganese(II,III) oxide")
phase("Bi2O3_beta", "Bi2 O3", 114, tet(7.7425, 5.6313),
      [("Bi1", "Bi", "0.0174", "0.2522", "0.2337", 1, 0.9),
       ("O1", "O", "0.2996", "0.3035", "0.0144", 1, 1.5),
       ("O2", "O", "0", "1/2", "0.3990", 1, 1.5)],
      "Blower & Greaves, Acta Cryst. C44 (1988) 587 (beta-Bi2O3, P-421c, "
      "a = 7.7425, c = 5.6313 A; Bi 8e, O1 8e, O2 4d); checked against the "
      "Materials Project relaxation mp-23195 (same structure, rms 0.06 of "
      "the scaled cell) and Bi-O 2.14, 2.14, 2.25 A",
      common="bismuth(III) oxide, beta (metastable, tetragonal)")

# ---------------------------------------------------------- orthorhombic ----
phase("LiFePO4_triphylite", "Fe Li O4 P", 62, (10.332, 6.010, 4.692, 90, 90, 90),
      [("Li1", "Li", "0", "0", "0", 1, 1.0),
       ("Fe1", "Fe", "0.28222", "1/4", "0.97472", 1, 0.45),
       ("P1", "P", "0.09486", "1/4", "0.41820", 1, 0.35),
       ("O1", "O", "0.09678", "1/4", "0.74279", 1, 0.55),
       ("O2", "O", "0.45710", "1/4", "0.20602", 1, 0.55),
       ("O3", "O", "0.16558", "0.04646", "0.28502", 1, 0.55)],
      "Streltsov, Belokoneva, Tsirelson & Hansen, Acta Cryst. B49 (1993) 147 "
      "(triphylite LiFePO4, Pnma, a = 10.332, b = 6.010, c = 4.692 A)",
      mineral="triphylite", common="lithium iron phosphate (LFP, olivine)")
phase("CaCO3_aragonite", "C Ca O3", 62, (5.7404, 4.9614, 7.9671, 90, 90, 90),
      [("Ca1", "Ca", "0.75985", "1/4", "0.41505", 1, 0.6),
       ("C1", "C", "-0.08518", "1/4", "0.76211", 1, 0.6),
       ("O1", "O", "-0.09453", "1/4", "0.92238", 1, 0.9),
       ("O2", "O", "-0.08619", "0.47360", "0.68065", 1, 0.9)],
      "De Villiers, Am. Mineral. 56 (1971) 758 (Pmcn: a = 4.9614, "
      "b = 7.9671, c = 5.7404 A); transformed here to the standard Pnma "
      "setting: (a,b,c)Pnma = (c,a,b)Pmcn, (x,y,z)Pnma = (z,x,y)Pmcn",
      mineral="aragonite", common="calcium carbonate (aragonite)")

phase("CaSO4_anhydrite", "Ca O4 S", 63, (6.995, 6.245, 6.993, 90, 90, 90),
      [("Ca1", "Ca", "0", "0.3476", "3/4", 1, 0.6),
       ("S1", "S", "0", "0.1556", "1/4", 1, 0.5),
       ("O1", "O", "0", "0.2971", "0.0819", 1, 0.9),
       ("O2", "O", "0.1699", "0.0157", "1/4", 1, 0.9)],
      "Hawthorne & Ferguson, Can. Mineral. 13 (1975) 289 (anhydrite, Amma: "
      "a = 6.993, b = 6.995, c = 6.245 A; Ca 3/4,0,0.3476; S 1/4,0,0.1556; "
      "O1 0.0819,0,0.2971; O2 1/4,0.1699,0.0157); transformed here to the "
      "standard Cmcm setting: (a,b,c)Cmcm = (b,c,a)Amma, "
      "(x,y,z)Cmcm = (y,z,x)Amma",
      mineral="anhydrite", common="calcium sulfate (anhydrous)",
      notes=["check: S-O 1.471 x2, 1.475 x2; Ca-O 2.342, 2.462, 2.511, "
             "2.561 A (x2 each), as reported for anhydrite"])

phase("K2SO4_arcanite", "K2 O4 S", 62, (7.4760, 5.7630, 10.0710, 90, 90, 90),
      [("K1", "K", "0.6742", "1/4", "0.4105", 1, 1.3),
       ("K2", "K", "-0.0114", "1/4", "0.7042", 1, 1.3),
       ("S1", "S", "0.2327", "1/4", "0.4196", 1, 0.8),
       ("O1", "O", "0.0373", "1/4", "0.4166", 1, 1.6),
       ("O2", "O", "0.2985", "1/4", "0.5590", 1, 1.6),
       ("O3", "O", "0.3014", "0.0410", "0.3521", 1, 1.6)],
      "McGinnety, Acta Cryst. B28 (1972) 2845 (beta-K2SO4, Pnma, a = 7.476, "
      "b = 5.763, c = 10.071 A); agrees with the earlier determination of "
      "Robinson, J. Phys. Chem. 62 (1958) 925 (COD 1200011, Pnam). Checked: "
      "S-O 1.46-1.49 A, K-O 2.72-2.93 A",
      mineral="arcanite", common="potassium sulfate")
phase("Li3PO4_beta", "Li3 O4 P", 31, (6.1150, 5.2394, 4.8554, 90, 90, 90),
      [("Li1", "Li", "0.24810", "0.32770", "0.98600", 1, 1.0),
       ("Li2", "Li", "1/2", "0.84280", "0.98930", 1, 1.0),
       ("P1", "P", "0", "0.82430", "0", 1, 0.4),
       ("O1", "O", "0.20777", "0.68676", "0.89610", 1, 0.6),
       ("O2", "O", "0", "0.10520", "0.90040", 1, 0.6),
       ("O3", "O", "1/2", "0.18140", "0.81720", 1, 0.6)],
      "Keffer, Mighell, Mauer, Swanson & Block, Inorg. Chem. 6 (1967) 119 "
      "(low-temperature beta-Li3PO4, Pmn21, a = 6.115, b = 5.2394, "
      "c = 4.8554 A; AMCSD 0012673)",
      mineral="lithiophosphate", common="lithium phosphate, low-temperature form (beta)")
phase("Li3PO4_gamma", "Li3 O4 P", 62, (10.4612, 6.1113, 4.9208, 90, 90, 90),
      [("Li1", "Li", "0.16270", "0.50160", "-0.30080", 1, 1.0),
       ("Li2", "Li", "0.42460", "3/4", "-0.20450", 1, 1.0),
       ("P1", "P", "0.41150", "1/4", "-0.30790", 1, 0.4),
       ("O1", "O", "0.34180", "0.04410", "-0.20540", 1, 0.6),
       ("O2", "O", "0.05030", "1/4", "-0.29280", 1, 0.6),
       ("O3", "O", "0.08960", "3/4", "-0.12230", 1, 0.6)],
      "Wang, Chakoumakos, Sales, Kwak & Bates, J. Solid State Chem. 115 "
      "(1995) 313 (gamma-Li3PO4, Pmnb: a = 6.1113, b = 10.4612, "
      "c = 4.9208 A; AMCSD 0013843); transformed here to the standard Pnma "
      "setting: (a,b,c)Pnma = (b,a,-c)Pmnb, (x,y,z)Pnma = (y,x,-z)Pmnb",
      common="lithium phosphate, quenched high-temperature form (gamma)")
phase("V2O5_shcherbinaite", "O5 V2", 59, (11.5120, 3.5640, 4.3680, 90, 90, 90),
      [("V1", "V", "0.35123", "0", "0.10860", 1, 0.5),
       ("O1", "O", "0.18090", "0", "0.99720", 1, 0.9),
       ("O2", "O", "0.35450", "0", "0.46970", 1, 0.9),
       ("O3", "O", "1/2", "0", "0.00080", 1, 0.9)],
      "coordinates: Shklover, Haibach, Ried, Nesper & Novak, J. Solid State "
      "Chem. 123 (1996) 317 (V2O5, sample IIb: Pmmn, a = 11.544, b = 3.571, "
      "c = 4.383 A; AMCSD 0013891, COD 9012221), given there in origin "
      "choice 2 and shifted here to origin choice 1; cell of pure V2O5 from "
      "Enjalbert & Galy, Acta Cryst. C42 (1986) 1467 (a = 11.512, "
      "b = 3.564, c = 4.368 A). Checked: V-O 1.58, 1.78, 1.88 (x2), 2.02, "
      "2.79 A",
      mineral="shcherbinaite", common="vanadium(V) oxide")
phase("LiMnO2_orthorhombic", "Li Mn O2", 59, (2.8080, 4.5740, 5.7520, 90, 90, 90),
      [("Li1", "Li", "0", "0", "0.11610", 1, 1.0),
       ("Mn1", "Mn", "0", "0", "0.63477", 1, 0.4),
       ("O1", "O", "0", "1/2", "0.14230", 1, 0.6),
       ("O2", "O", "0", "1/2", "0.59930", 1, 0.6)],
      "orthorhombic (beta-NaMnO2 type) LiMnO2, Pmmn (= Pmnm with b and c "
      "exchanged), a = 2.808, b = 4.574, c = 5.752 A; cell and coordinates "
      "of the ICSD-derived reference set of XRD-AutoAnalyzer (Szymanski et "
      "al., Chem. Mater. 33 (2021) 4204), origin choice 1",
      common="lithium manganese oxide, orthorhombic (o-LiMnO2)")
phase("SrCO3_strontianite", "C O3 Sr", 62, (6.0290, 5.1070, 8.4140, 90, 90, 90),
      [("Sr1", "Sr", "0.2431", "3/4", "0.4160", 1, 0.7),
       ("C1", "C", "0.0864", "3/4", "0.7601", 1, 0.7),
       ("O1", "O", "0.0839", "0.5306", "0.6821", 1, 1.0),
       ("O2", "O", "0.0946", "3/4", "0.9119", 1, 1.0)],
      "aragonite type (Pnma); cell of synthetic SrCO3, ICDD PDF 05-0418 "
      "(Swanson & Fuyat, NBS Circular 539 vol. 3 (1954); Pmcn a = 5.107, "
      "b = 8.414, c = 6.029 A, here (a,b,c)Pnma = (c,a,b)Pmcn); "
      "coordinates of the RRUFF strontianite reference structure of the "
      "PXRD candidate-retrieval benchmark (natural, Pnma a = 5.997, "
      "b = 5.090, c = 8.358 A); cf. De Villiers, Am. Mineral. 56 (1971) 758",
      mineral="strontianite", common="strontium carbonate")

# ------------------------------------------------------------ monoclinic ----
phase("ZrO2_baddeleyite", "O2 Zr", 14, (5.1505, 5.2116, 5.3173, 90, 99.230, 90),
      [("Zr1", "Zr", "0.2754", "0.0395", "0.2083", 1, 0.3),
       ("O1", "O", "0.0700", "0.3317", "0.3447", 1, 0.5),
       ("O2", "O", "0.4496", "0.7569", "0.4792", 1, 0.5)],
      "Howard, Hill & Reichert, Acta Cryst. B44 (1988) 116 (monoclinic ZrO2, "
      "P21/c, a = 5.1505, b = 5.2116, c = 5.3173 A, beta = 99.230 deg)",
      mineral="baddeleyite", common="monoclinic zirconia")
phase("Li2CO3_zabuyelite", "C Li2 O3", 15, (8.3590, 4.9770, 6.1940, 90, 114.72, 90),
      [("Li1", "Li", "0.1965", "0.4484", "0.8363", 1, 1.2),
       ("C1", "C", "0", "0.0657", "1/4", 1, 0.6),
       ("O1", "O", "0", "0.3223", "1/4", 1, 0.9),
       ("O2", "O", "0.1464", "0.9356", "0.3137", 1, 0.9)],
      "Effenberger & Zemann, Z. Kristallogr. 150 (1979) 133 (Li2CO3, C2/c, "
      "a = 8.359, b = 4.977, c = 6.194 A, beta = 114.72 deg); checked: "
      "C-O 1.28-1.29 A, LiO4 tetrahedra 1.88-2.01 A",
      mineral="zabuyelite", common="lithium carbonate")

phase("Bi2O3_alpha", "Bi2 O3", 14, (5.8486, 8.1661, 7.5097, 90, 112.977, 90),
      [("Bi1", "Bi", "0.5242", "0.1843", "0.3615", 1, 0.6),
       ("Bi2", "Bi", "0.0409", "0.0425", "0.7767", 1, 0.6),
       ("O1", "O", "0.7783", "0.3037", "0.7086", 1, 1.0),
       ("O2", "O", "0.2407", "0.0467", "0.1316", 1, 1.0),
       ("O3", "O", "0.2714", "0.0284", "0.5128", 1, 1.0)],
      "Malmros, Acta Chem. Scand. 24 (1970) 384 (alpha-Bi2O3, P21/c, "
      "a = 5.8486, b = 8.1661, c = 7.5097 A, beta = 112.977 deg); checked "
      "against the Materials Project relaxation mp-23262 (same structure, "
      "rms 0.02 of the scaled cell) and Bi-O 2.11-2.30 A",
      mineral="bismite", common="bismuth(III) oxide, alpha (monoclinic)")
phase("CuO_tenorite", "Cu O", 15, (4.6837, 3.4226, 5.1288, 90, 99.54, 90),
      [("Cu1", "Cu", "1/4", "1/4", "0", 1, 0.5),
       ("O1", "O", "0", "0.4184", "1/4", 1, 0.6)],
      "Asbrink & Norrby, Acta Cryst. B26 (1970) 8 (C2/c, a = 4.6837, "
      "b = 3.4226, c = 5.1288 A, beta = 99.54 deg, O y = 0.4184). Same "
      "structure as Wyckoff, Crystal Structures vol. 1 (1963) (COD 9008961), "
      "whose older cell is 0.4-0.7 % smaller",
      mineral="tenorite", common="copper(II) oxide")
phase("Ga2O3_beta", "Ga2 O3", 12, (12.214, 3.0371, 5.7981, 90, 103.83, 90),
      [("Ga1", "Ga", "0.09050", "0", "0.79460", 1, 0.4),
       ("Ga2", "Ga", "0.34140", "0", "0.68570", 1, 0.4),
       ("O1", "O", "0.16740", "0", "0.10110", 1, 0.5),
       ("O2", "O", "0.49570", "0", "0.25530", 1, 0.5),
       ("O3", "O", "0.82790", "0", "0.43650", 1, 0.5)],
      "Ahman, Svensson & Albertsson, Acta Cryst. C52 (1996) 1336 (beta-Ga2O3, "
      "C2/m, a = 12.214, b = 3.0371, c = 5.7981 A, beta = 103.83 deg); "
      "checked: GaO4 1.80-1.85 A, GaO6 1.94-2.08 A",
      common="gallium(III) oxide, beta")
phase("HfO2_monoclinic", "Hf O2", 14, (5.1156, 5.1722, 5.2948, 90, 99.18, 90),
      [("Hf1", "Hf", "0.2754", "0.0395", "0.2083", 1, 0.3),
       ("O1", "O", "0.0700", "0.3317", "0.3447", 1, 0.5),
       ("O2", "O", "0.4496", "0.7569", "0.4792", 1, 0.5)],
      "cell: Adam & Rogers, Acta Cryst. 12 (1959) 951 (monoclinic HfO2, "
      "P21/c, a = 5.1156, b = 5.1722, c = 5.2948 A, beta = 99.18 deg), "
      "isostructural with baddeleyite (Ruh & Corfield, J. Am. Ceram. Soc. "
      "53 (1970) 126); the coordinates are those of baddeleyite ZrO2 "
      "(Howard, Hill & Reichert, Acta Cryst. B44 (1988) 116), not a "
      "refinement of hafnia; Hf dominates the intensities. Checked: HfO7 "
      "2.04-2.26 A, strongest lines 28.34 (-111) and 31.64 (111) deg as "
      "listed for monoclinic HfO2",
      common="hafnia, monoclinic hafnium dioxide")
phase("Li2TiO3", "Li2 O3 Ti", 15, (5.0623, 8.7876, 9.7533, 90, 100.212, 90),
      [("Li1", "Li", "0.23830", "0.07950", "0.99990", 1, 1.0),
       ("Li2", "Li", "1/4", "1/4", "1/2", 1, 1.0),
       ("Li3", "Li", "0", "0.08520", "1/4", 1, 1.0),
       ("Ti1", "Ti", "0", "0.41749", "1/4", 1, 0.4),
       ("Ti2", "Ti", "0", "0.25029", "3/4", 1, 0.4),
       ("O1", "O", "0.14116", "0.26356", "0.13720", 1, 0.6),
       ("O2", "O", "0.10555", "0.41556", "0.63719", 1, 0.6),
       ("O3", "O", "0.13958", "0.09412", "0.63454", 1, 0.6)],
      "Kataoka, Takahashi, Kijima, Nagai, Akimoto, Idemoto & Ohshima, Mater. "
      "Res. Bull. 44 (2009) 168 (beta-Li2TiO3, C2/c, a = 5.0623, "
      "b = 8.7876, c = 9.7533 A, beta = 100.212 deg); cell and coordinates "
      "as in the ICSD-derived reference set of XRD-AutoAnalyzer (Szymanski "
      "et al., Chem. Mater. 33 (2021) 4204)",
      common="lithium metatitanate (beta-Li2TiO3)")
phase("Li2MnO3", "Li2 Mn O3", 12, (4.9370, 8.5320, 5.0300, 90, 109.46, 90),
      [("Li1", "Li", "0", "1/2", "0", 1, 1.0),
       ("Li2", "Li", "0", "0", "1/2", 1, 1.0),
       ("Li3", "Li", "0", "0.66060", "1/2", 1, 1.0),
       ("Mn1", "Mn", "0", "0.16708", "0", 1, 0.4),
       ("O1", "O", "0.21890", "0", "0.22730", 1, 0.6),
       ("O2", "O", "0.25400", "0.32119", "0.22330", 1, 0.6)],
      "Strobel & Lambert-Andron, J. Solid State Chem. 75 (1988) 90 "
      "(Li2MnO3, C2/m, a = 4.937, b = 8.532, c = 5.030 A, beta = 109.46 deg); "
      "the same data are the ICSD-derived XRD-AutoAnalyzer reference",
      common="lithium manganese oxide Li2MnO3 (Li-rich layered)")
phase("NaHCO3_nahcolite", "C H Na O3", 14, (3.4800, 9.6800, 8.0527, 90, 112.177, 90),
      [("Na1", "Na", "0.4300", "0", "0.7220", 1, 1.2),
       ("C1", "C", "0.2450", "0.2640", "0.4310", 1, 1.0),
       ("O1", "O", "0.2450", "0.1330", "0.4310", 1, 1.3),
       ("O2", "O", "-0.0170", "0.3310", "0.3000", 1, 1.3),
       ("O3", "O", "0.5050", "0.3310", "0.5610", 1, 1.3),
       ("H1", "H", "0.2550", "0.7500", "0.3190", 1, 2.0)],
      "coordinates: Zachariasen, J. Chem. Phys. 1 (1933) 634 (NaHCO3, "
      "P21/n; COD 1011016); cell of synthetic NaHCO3, ICDD PDF 15-0700 "
      "(P21/n a = 7.47, b = 9.68, c = 3.48 A, beta = 93.38 deg; "
      "Zachariasen's a = 7.51, c = 3.53 A put the strong (121) line 0.35 "
      "deg too low). Transformed to P21/c, cell choice 1 (a' = c, c' = a + c "
      "of P21/n, up to sign): a = 3.48, c = 8.053 A, beta = 112.18 deg. "
      "Zachariasen's H lies at the midpoint of the O...O hydrogen bond "
      "(O-H 1.27 A); it hardly affects X-ray intensities",
      mineral="nahcolite", common="sodium hydrogen carbonate (sodium bicarbonate)")


# ------------------------------------------------------------- writer -------
def _frac(v):
    f = Fraction(v).limit_denominator(12)
    return f


def symop_strings(hall):
    d = spglib.get_symmetry_from_database(hall)
    out = []
    for R, t in zip(d["rotations"], d["translations"]):
        parts = []
        for i in range(3):
            s = ""
            for j, ax in enumerate("xyz"):
                c = int(R[i][j])
                if c == 1:
                    s += ("+" if s else "") + ax
                elif c == -1:
                    s += "-" + ax
                elif c != 0:
                    raise ValueError(R)
            tr = _frac(float(t[i]) % 1.0)
            if tr != 0:
                s += f"+{tr.numerator}/{tr.denominator}"
            parts.append(s)
        out.append(",".join(parts))
    return out


def fmt_num(v):
    return f"{v:.5f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


def write(p):
    sg = p["sg"]
    hall = HALL[sg]
    t = spglib.get_spacegroup_type(hall)
    a, b, c, al, be, ga = p["cell"]
    lines = []
    lines.append(f"# xrdid built-in default phase library: {p['name']}")
    lines.append("# Hand-written from published cell and site data (see source).")
    wrap = textwrap.TextWrapper(width=78, break_long_words=False,
                                break_on_hyphens=False)
    src_wrap = textwrap.TextWrapper(width=78, break_long_words=False,
                                    break_on_hyphens=False,
                                    initial_indent="source: ",
                                    subsequent_indent="        ")
    lines += ["# " + ln for ln in src_wrap.wrap(p["source"])]
    if sg in SETTING_NOTE:
        lines += ["# " + ln for ln in wrap.wrap(
            f"setting: {SETTING_NOTE[sg]}; the Hall symbol and the symop "
            "loop below define it")]
    for n in p["notes"] + [p["b_note"].lstrip("# ")]:
        lines += ["# " + ln for ln in wrap.wrap(n)]
    lines.append("")
    lines.append(f"data_{p['name']}")
    lines.append(f"_chemical_formula_sum '{p['formula']}'")
    if p["mineral"]:
        lines.append(f"_chemical_name_mineral '{p['mineral']}'")
    if p["common"]:
        lines.append(f"_chemical_name_common '{p['common']}'")
    for ax, v in (("a", a), ("b", b), ("c", c)):
        lines.append(f"_cell_length_{ax} " + f"{v:.5f}".rstrip("0").rstrip("."))
    lines.append(f"_cell_angle_alpha {al:.3f}")
    lines.append(f"_cell_angle_beta {be:.3f}")
    lines.append(f"_cell_angle_gamma {ga:.3f}")
    lines.append(f"_space_group_IT_number {sg}")
    lines.append(f"_symmetry_Int_Tables_number {sg}")
    lines.append(f"_space_group_name_H-M_alt '{HM[sg]}'")
    lines.append(f"_symmetry_space_group_name_H-M '{HM[sg]}'")
    lines.append(f"_space_group_name_Hall '{t['hall_symbol']}'")
    lines.append("loop_")
    lines.append("_space_group_symop_id")
    lines.append("_space_group_symop_operation_xyz")
    for i, s in enumerate(symop_strings(hall), 1):
        lines.append(f"{i} '{s}'")
    lines.append("loop_")
    lines.append("_atom_site_label")
    lines.append("_atom_site_type_symbol")
    lines.append("_atom_site_fract_x")
    lines.append("_atom_site_fract_y")
    lines.append("_atom_site_fract_z")
    lines.append("_atom_site_occupancy")
    lines.append("_atom_site_B_iso_or_equiv")
    for lab, el, x, y, z, occ, biso in p["sites"]:
        xs = [_decimal(v) for v in (x, y, z)]
        lines.append(f"{lab:<4s} {el:<3s} {xs[0]:>9s} {xs[1]:>9s} {xs[2]:>9s} "
                     f"{occ:.3f} {biso:.2f}")
    lines.append("")
    path = os.path.join(HERE, p["name"] + ".cif")
    with open(path, "w") as fh:
        fh.write("\n".join(lines))
    return path


def _decimal(s):
    """Fractions like 1/8 are written as decimals with enough digits."""
    if "/" in s:
        n, d = s.split("/")
        v = float(n) / float(d)
        return f"{v:.6f}".rstrip("0").rstrip(".") if v else "0"
    return s


if __name__ == "__main__":
    for p in P:
        print(write(p))
